// Execution statuses and who may move them where (rest-api.md §6.1–6.2): the PATCH validation the
// workers are held to, and the user actions of POST /executions/{id}.
import type { ExecutionStatus } from '../../engine/states.js';
import { illegalAction, invalidStatusUpdate, unknownAction } from '../errors.js';

// One definition of the statuses, owned by the engine (manager → engine is an inward dependency).
export type { ExecutionStatus };

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'pending',
  'started',
  'cancelling',
  'force_cancelling',
  'kill_cancelling',
  'terminated',
  'failed',
  'cancelled',
  'queued',
  'scheduled',
];
export const END_STATES: readonly ExecutionStatus[] = ['terminated', 'failed', 'cancelled'];
export const WAITING_STATES: readonly ExecutionStatus[] = ['scheduled', 'queued'];
/** Everything that is neither ended nor waiting: it holds its deployment and counts against the cap. */
export const ACTIVE_STATES: readonly ExecutionStatus[] = [
  'pending',
  'started',
  'cancelling',
  'force_cancelling',
  'kill_cancelling',
];

export const isEnd = (s: string): boolean => (END_STATES as readonly string[]).includes(s);
export const isActive = (s: string): boolean => (ACTIVE_STATES as readonly string[]).includes(s);
export const isStatus = (s: unknown): s is ExecutionStatus =>
  typeof s === 'string' && (EXECUTION_STATUSES as readonly string[]).includes(s);

/** `terminated` is shown as `completed` (resource_models.py status_display). */
export const statusDisplay = (s: string): string => (s === 'terminated' ? 'completed' : s);

/** SQL array literal for `= ANY($n::text[])`. */
export const sqlArray = (xs: readonly string[]): string => `{${xs.join(',')}}`;

/**
 * PATCH validation (resource_manager.py:543-568): the same status is always fine; nothing leaves an
 * END state (except a create_snapshot); from cancelling nothing goes back to an active state or to
 * terminated; from force_cancelling additionally not back to cancelling.
 */
export function validateStatusUpdate(workflowId: string, from: string, to: string): void {
  if (!isStatus(to)) {
    throw invalidStatusUpdate(
      `Invalid execution status \`${to}\`: use one of ${EXECUTION_STATUSES.join(', ')}`,
    );
  }
  if (from === to) return;
  const bad = () =>
    invalidStatusUpdate(`Invalid exception status update: cannot change status from ${from} to ${to}`);
  if (isEnd(from) && workflowId !== 'create_snapshot') throw bad();
  if (from === 'cancelling' && (isActive(to) || to === 'terminated')) throw bad();
  if (from === 'force_cancelling' && (isActive(to) || to === 'terminated' || to === 'cancelling'))
    throw bad();
}

export const ACTIONS = ['cancel', 'force-cancel', 'kill', 'resume', 'force-resume', 'requeue'] as const;
export type ExecutionAction = (typeof ACTIONS)[number];

export interface ActionResult {
  status: ExecutionStatus;
  /** The execution goes back to the worker (resume) and gets a fresh token. */
  redispatch: boolean;
  /** A resume: reset `resume` flag and, for failed/cancelled, failed operations. */
  resume: boolean;
}

/**
 * The API side of POST /executions/{id} (resource_manager.py:1072-1145, 1406-1538). Cancelling a
 * queued or scheduled execution never reached a worker, so it is cancelled at once.
 */
export function applyAction(id: string, current: string, action: string): ActionResult {
  if (!(ACTIONS as readonly string[]).includes(action)) {
    throw unknownAction(`Unknown action \`${action}\`: use one of ${ACTIONS.join(', ')}`);
  }
  const illegal = (why: string) => illegalAction(`Cannot ${action} execution ${id}: ${why}`);
  switch (action as ExecutionAction) {
    case 'cancel':
    case 'requeue':
    case 'force-cancel':
    case 'kill': {
      if (current === 'queued' || current === 'scheduled')
        return { status: 'cancelled', redispatch: false, resume: false };
      if (isEnd(current)) throw illegal(`it is already in an end state (${current})`);
      if (action === 'kill') return { status: 'kill_cancelling', redispatch: false, resume: false };
      if (action === 'force-cancel') {
        if (!['pending', 'started', 'cancelling'].includes(current))
          throw illegal(`it is in status ${current}; only pending, started or cancelling ones can be`);
        return { status: 'force_cancelling', redispatch: false, resume: false };
      }
      if (current !== 'pending' && current !== 'started') {
        throw illegal(`it is in status ${current}; only pending or started ones can be cancelled`);
      }
      return { status: 'cancelling', redispatch: false, resume: false };
    }
    case 'resume':
    case 'force-resume': {
      const force = action === 'force-resume';
      // Cloudify: failed/cancelled resume (resetting failed operations); a plain resume also
      // re-sends a started execution whose worker died.
      const ok = force ? ['cancelled', 'failed'] : ['cancelled', 'failed', 'started'];
      if (!ok.includes(current)) {
        throw illegal(
          `only ${ok.join(', ')} executions can be ${force ? 'force-' : ''}resumed, this one is ${current}`,
        );
      }
      return { status: 'pending', redispatch: true, resume: true };
    }
  }
  throw illegal('unsupported');
}
