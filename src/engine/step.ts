// The executor as a pure step function: (state, event) → (state, commands). The worker
// carries the commands out in order and feeds results back as events. The input state is
// never mutated; the clock only stamps events and retry due times.

import type { OperationFailure } from './failures.js';
import type { ErrorCause, EngineEvent } from './events.js';
import { opEvent, workflowEvent } from './events.js';
import type { ExecutionState, OpRuntime, Phase } from './execution-state.js';
import type { OperationSpec } from './graph.js';
import type { Clock } from './ports.js';
import { mayRetry } from './retry-policy.js';
import type { ExecutionEndStatus, ExecutionStatus, OperationState } from './states.js';

export type EngineInput =
  /** first run of a new execution */
  | { type: 'start' }
  /** run of a restored state (worker died, resume, force-resume) */
  | { type: 'resume' }
  | { type: 'operationStarted'; operationId: string }
  | { type: 'operationSucceeded'; operationId: string; result?: unknown }
  | { type: 'operationFailed'; operationId: string; failure: OperationFailure }
  /** the retry timer of a scheduleRetry command */
  | { type: 'timerFired'; operationId: string }
  /** cancel: wait for in-flight ops; force/kill: abort them and end now */
  | { type: 'cancelRequested'; mode?: 'cancel' | 'force' | 'kill' };

export type Command =
  /** run a RemoteWorkflowTask (plugin) or LocalWorkflowTask (manager-side step); answer with operationStarted/Succeeded/Failed */
  | { kind: 'dispatchOperation'; operation: OperationSpec; currentRetries: number }
  /** after afterMs, feed timerFired */
  | { kind: 'scheduleRetry'; operationId: string; afterMs: number; dueAt: number }
  /** kill these in-flight operations (process groups); no answer needed */
  | { kind: 'cancelOperations'; operationIds: string[] }
  | { kind: 'setNodeInstanceState'; nodeInstanceId: string; state: string }
  | { kind: 'emitEvent'; event: EngineEvent }
  /** PATCH /operations/<id>; must be durable before the next dispatch is acted on */
  | {
      kind: 'persistOperationState';
      operationId: string;
      state: OperationState;
      currentRetries: number;
      result?: unknown;
      error?: OperationFailure;
    }
  /** the execution moved to a non-final status (started, cancelling) */
  | { kind: 'updateExecutionStatus'; status: ExecutionStatus }
  | { kind: 'finishExecution'; status: ExecutionEndStatus; error?: string };

export interface StepResult {
  state: ExecutionState;
  commands: Command[];
}

const INLINE = new Set(['SetNodeInstanceStateTask', 'SendNodeEventTask', 'NOPLocalWorkflowTask']);
const IN_FLIGHT = new Set<OperationState>(['sending', 'sent', 'started']);

class Draft {
  rt: OpRuntime[];
  ready: number[];
  inline: number[] = [];
  inFlight: number;
  timers: number;
  remaining: number;
  phase: Phase;
  status: ExecutionStatus;
  error: ExecutionState['error'];
  readonly cmds: Command[] = [];

  constructor(
    readonly s: ExecutionState,
    readonly now: number,
  ) {
    this.rt = s.rt.slice();
    this.ready = [];
    for (const i of s.ready) (INLINE.has(s.index.ops[i].type) ? this.inline : this.ready).push(i);
    this.inFlight = s.inFlight;
    this.timers = s.timers;
    this.remaining = s.remaining;
    this.phase = s.phase;
    this.status = s.status;
    this.error = s.error;
  }

  op(i: number) {
    return this.s.index.ops[i];
  }

  set(i: number, patch: Partial<OpRuntime>) {
    this.rt[i] = { ...this.rt[i], ...patch };
  }

  persist(i: number, extra: { result?: unknown; error?: OperationFailure } = {}) {
    const r = this.rt[i];
    this.cmds.push({
      kind: 'persistOperationState',
      operationId: this.op(i).id,
      state: r.state,
      currentRetries: r.retries,
      ...extra,
    });
  }

  taskEvent(i: number, type: Parameters<typeof opEvent>[2], text: string, causes?: ErrorCause[]) {
    const op = this.op(i);
    if (type !== 'workflow_node_event' && !op.parameters.send_task_events) return;
    this.cmds.push({
      kind: 'emitEvent',
      event: opEvent(this.s.ref, op, type, text, this.now, this.rt[i].retries, causes),
    });
  }

  wfEvent(type: Parameters<typeof workflowEvent>[1], text: string, causes?: ErrorCause[]) {
    this.cmds.push({ kind: 'emitEvent', event: workflowEvent(this.s.ref, type, text, this.now, causes) });
  }

  enqueue(i: number) {
    (INLINE.has(this.op(i).type) ? this.inline : this.ready).push(i);
  }

  /** i is done: release its dependents. */
  complete(i: number) {
    this.remaining--;
    for (const j of this.s.index.dependents[i]) {
      const w = this.rt[j].waiting - 1;
      this.set(j, { waiting: w });
      if (w === 0 && this.rt[j].state === 'pending') this.enqueue(j);
    }
  }

  runInline(i: number) {
    const op = this.op(i);
    const k = op.parameters.task_kwargs;
    if (op.type === 'SetNodeInstanceStateTask') {
      this.cmds.push({ kind: 'setNodeInstanceState', nodeInstanceId: k.node_instance_id!, state: k.state! });
    } else if (op.type === 'SendNodeEventTask') {
      this.taskEvent(i, 'workflow_node_event', k.event ?? '');
    }
    this.set(i, { state: 'succeeded' });
    this.persist(i);
    this.complete(i);
  }

  dispatch(i: number) {
    this.set(i, { state: 'sent' });
    this.inFlight++;
    this.persist(i);
    this.taskEvent(i, 'sending_task', `Sending task '${taskName(this.op(i))}'`);
    this.cmds.push({ kind: 'dispatchOperation', operation: this.op(i), currentRetries: this.rt[i].retries });
  }

  pump() {
    while (this.phase === 'running') {
      if (this.inline.length) {
        this.runInline(this.inline.shift()!);
      } else if (this.ready.length && this.inFlight < this.s.maxInFlight) {
        this.dispatch(this.ready.shift()!);
      } else break;
    }
  }

  finish(status: ExecutionEndStatus) {
    const wf = this.s.ref.workflowId;
    if (status === 'terminated') this.wfEvent('workflow_succeeded', `'${wf}' workflow execution succeeded`);
    else if (status === 'cancelled')
      this.wfEvent('workflow_cancelled', `'${wf}' workflow execution cancelled`);
    else {
      const msg = this.error?.message ?? 'unknown error';
      this.wfEvent('workflow_failed', `'${wf}' workflow execution failed: ${msg}`, this.error?.causes);
    }
    this.phase = 'ended';
    this.status = status;
    this.cmds.push({
      kind: 'finishExecution',
      status,
      ...(status === 'failed' ? { error: this.error?.message ?? 'unknown error' } : {}),
    });
  }

  checkEnd() {
    if (this.phase === 'running') {
      if (this.remaining === 0) this.finish('terminated');
      else if (!this.ready.length && !this.inline.length && this.inFlight === 0 && this.timers === 0) {
        this.error ??= { message: 'no operation can run: the task graph is stuck', causes: [] };
        this.finish('failed');
      }
    } else if (this.phase === 'failing' && this.inFlight === 0) this.finish('failed');
    else if (this.phase === 'cancelling' && this.inFlight === 0) this.finish('cancelled');
  }

  freeze(): ExecutionState {
    return {
      ...this.s,
      rt: this.rt,
      ready: [...this.inline, ...this.ready],
      inFlight: this.inFlight,
      timers: this.timers,
      remaining: this.remaining,
      phase: this.phase,
      status: this.status,
      error: this.error,
    };
  }
}

const taskName = (op: OperationSpec) =>
  op.parameters.task_kwargs.implementation ?? op.parameters.task_kwargs.local_task ?? op.name;

const causeOf = (f: OperationFailure): ErrorCause => ({
  message: f.message,
  type: f.causeType,
  ...(f.traceback ? { traceback: f.traceback } : {}),
});

export function step(state: ExecutionState, event: EngineInput, deps: { clock: Clock }): StepResult {
  const d = new Draft(state, deps.clock.now());
  const at = (id: string) => {
    const i = state.index.pos.get(id);
    return i === undefined ? undefined : i;
  };
  switch (event.type) {
    case 'start':
    case 'resume': {
      if (d.phase !== 'new') break;
      const wf = state.ref.workflowId;
      d.status = 'started';
      d.cmds.push({ kind: 'updateExecutionStatus', status: 'started' });
      d.wfEvent(
        'workflow_started',
        state.resumed ? `Resuming '${wf}' workflow execution` : `Starting '${wf}' workflow execution`,
      );
      d.phase = d.error ? 'failing' : 'running';
      break;
    }
    case 'operationStarted': {
      const i = at(event.operationId);
      if (i === undefined || (d.rt[i].state !== 'sent' && d.rt[i].state !== 'sending')) break;
      d.set(i, { state: 'started' });
      d.persist(i);
      d.taskEvent(i, 'task_started', `Task started '${taskName(d.op(i))}'`);
      break;
    }
    case 'operationSucceeded': {
      const i = at(event.operationId);
      if (i === undefined || !IN_FLIGHT.has(d.rt[i].state)) break; // duplicate or unknown reply
      d.inFlight--;
      d.set(i, { state: 'succeeded' });
      d.persist(i, event.result === undefined ? {} : { result: event.result });
      d.taskEvent(i, 'task_succeeded', `Task succeeded '${taskName(d.op(i))}'`);
      d.complete(i);
      break;
    }
    case 'operationFailed': {
      const i = at(event.operationId);
      if (i === undefined || !IN_FLIGHT.has(d.rt[i].state)) break;
      d.inFlight--;
      onFailed(d, i, event.failure);
      break;
    }
    case 'timerFired': {
      const i = at(event.operationId);
      if (i === undefined || d.rt[i].state !== 'rescheduled') break;
      d.timers--;
      if (d.phase !== 'running') break; // a failing/cancelled run leaves it rescheduled
      d.set(i, { state: 'pending' });
      d.persist(i);
      d.enqueue(i);
      break;
    }
    case 'cancelRequested': {
      if (d.phase === 'ended') break;
      const mode = event.mode ?? 'cancel';
      if (mode === 'cancel') {
        if (d.phase === 'cancelling') break;
        d.phase = 'cancelling';
        d.status = 'cancelling';
        d.cmds.push({ kind: 'updateExecutionStatus', status: 'cancelling' });
      } else {
        const ids = d.rt.flatMap((r, i) => (IN_FLIGHT.has(r.state) ? [d.op(i).id] : []));
        if (ids.length) d.cmds.push({ kind: 'cancelOperations', operationIds: ids });
        d.inFlight = 0;
        d.finish('cancelled');
      }
      break;
    }
  }
  if (d.phase !== 'new' && d.phase !== 'ended') {
    d.pump();
    d.checkEnd();
  }
  return { state: d.freeze(), commands: d.cmds };
}

function onFailed(d: Draft, i: number, f: OperationFailure) {
  const op = d.op(i);
  const r = d.rt[i];
  const name = taskName(op);
  const total = op.parameters.total_retries;
  if (d.phase === 'running' && f.recoverable && mayRetry(r.retries, total)) {
    const afterMs = f.retryAfterMs ?? op.parameters.retry_interval * 1000;
    d.set(i, { state: 'rescheduled', retries: r.retries + 1 });
    d.persist(i, { error: f });
    const of = total === -1 ? 'unlimited' : String(total);
    d.taskEvent(
      i,
      'task_rescheduled',
      `Task rescheduled '${name}' -> ${f.message} [retry ${r.retries + 1}/${of}]`,
      [causeOf(f)],
    );
    d.timers++;
    d.cmds.push({ kind: 'scheduleRetry', operationId: op.id, afterMs, dueAt: d.now + afterMs });
    return;
  }
  d.set(i, { state: 'failed' });
  d.persist(i, { error: f });
  d.taskEvent(i, 'task_failed', `Task failed '${name}' -> ${f.message}`, [causeOf(f)]);
  if (op.parameters.ignore_failure) {
    d.taskEvent(i, 'workflow_node_event', `Ignoring task ${name} failure`);
    d.complete(i);
    return;
  }
  if (d.phase === 'running') {
    d.phase = 'failing';
    d.error = { message: `Task failed '${name}' -> ${f.message}`, causes: [causeOf(f)] };
  }
}
