// Execution statuses and who may move them where (rest-api.md §6.1–6.2): the table of status changes a
// worker may report (PATCH), and the user actions of POST /executions/{id}.
import { illegalAction, invalidStatusUpdate, unknownAction } from '../common/errors.js';
import type { ExecutionStatus } from '../engine/states.js';

// One definition of the statuses, owned by the engine (an inward dependency).
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

/**
 * The status changes a worker may report, by current status (resource_manager.py:543-568). Staying in
 * the same status is always allowed; nothing leaves an end status except a create_snapshot's; from
 * cancelling nothing goes back to an active status or to terminated; from force_cancelling also not
 * back to cancelling.
 */
const WORKER_MAY_SET: Record<ExecutionStatus, readonly ExecutionStatus[]> = {
  pending: EXECUTION_STATUSES,
  started: EXECUTION_STATUSES,
  kill_cancelling: EXECUTION_STATUSES,
  queued: EXECUTION_STATUSES,
  scheduled: EXECUTION_STATUSES,
  cancelling: ['failed', 'cancelled', 'queued', 'scheduled'],
  force_cancelling: ['failed', 'cancelled', 'queued', 'scheduled'],
  terminated: [],
  failed: [],
  cancelled: [],
};

/** Throws invalid_exception_status_update unless a worker may move `from` to `to`. */
export function validateStatusUpdate(workflowId: string, from: string, to: string): void {
  if (!isStatus(to)) {
    throw invalidStatusUpdate(
      `Invalid execution status \`${to}\`: use one of ${EXECUTION_STATUSES.join(', ')}`,
    );
  }
  if (from === to || (isEnd(from) && workflowId === 'create_snapshot')) return;
  if (isStatus(from) && WORKER_MAY_SET[from].includes(to)) return;
  throw invalidStatusUpdate(`Invalid exception status update: cannot change status from ${from} to ${to}`);
}

export const ACTIONS = ['cancel', 'force-cancel', 'kill', 'resume', 'force-resume', 'requeue'] as const;
export type ExecutionAction = (typeof ACTIONS)[number];

export interface ActionResult {
  status: ExecutionStatus;
  /** A resume: the execution is reset (see resetForResume) and goes back to a worker. */
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
      if (current === 'queued' || current === 'scheduled') return { status: 'cancelled', resume: false };
      if (isEnd(current)) throw illegal(`it is already in an end state (${current})`);
      if (action === 'kill') return { status: 'kill_cancelling', resume: false };
      if (action === 'force-cancel') {
        if (!['pending', 'started', 'cancelling'].includes(current))
          throw illegal(`it is in status ${current}; only pending, started or cancelling ones can be`);
        return { status: 'force_cancelling', resume: false };
      }
      if (current !== 'pending' && current !== 'started') {
        throw illegal(`it is in status ${current}; only pending or started ones can be cancelled`);
      }
      return { status: 'cancelling', resume: false };
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
      return { status: 'pending', resume: true };
    }
  }
  throw illegal('unsupported');
}
