// The executor's state: the static graph index (shared, never copied) plus a small runtime
// record per operation. Built fresh for a new execution or restored from a stored graph.

import type { ErrorCause, ExecutionRef } from './events.js';
import type { OperationSpec, StoredTasksGraph, TasksGraph } from './graph.js';
import type { ExecutionStatus, OperationState } from './states.js';

/** Operations in flight at once per execution (Cloudify's mgmtworker runs 20 operations). @default 20 */
export const DEFAULT_MAX_IN_FLIGHT = 20;

export interface ExecutorOptions {
  /** @default 20 */
  maxInFlight?: number;
}

export type Phase =
  /** built, waiting for the start/resume event */
  | 'new'
  /** dispatching */
  | 'running'
  /** cancel requested: nothing new is dispatched, in-flight ops are awaited */
  | 'cancelling'
  /** an op failed for good: nothing new is dispatched, in-flight ops are awaited */
  | 'failing'
  /** finishExecution was emitted; late results are only persisted */
  | 'ended';

export interface OpRuntime {
  readonly state: OperationState;
  /** Cloudify current_retries: how many retries already happened */
  readonly retries: number;
  /** dependencies not yet done */
  readonly waiting: number;
}

export interface GraphIndex {
  readonly name: string;
  readonly ops: readonly OperationSpec[];
  readonly pos: ReadonlyMap<string, number>;
  readonly dependents: readonly (readonly number[])[];
}

export interface ExecutionState {
  readonly ref: ExecutionRef;
  readonly index: GraphIndex;
  readonly rt: readonly OpRuntime[];
  /** dispatchable ops in FIFO order (positions) */
  readonly ready: readonly number[];
  readonly inFlight: number;
  /** ops waiting for a retry timer */
  readonly timers: number;
  /** ops not done yet (done = succeeded, or failed with ignore_failure) */
  readonly remaining: number;
  readonly phase: Phase;
  readonly status: ExecutionStatus;
  readonly maxInFlight: number;
  readonly resumed: boolean;
  readonly error?: { message: string; causes: ErrorCause[] };
}

export class ExecutorConfigError extends Error {
  override name = 'ExecutorConfigError';
}

function compileOptions(o: ExecutorOptions): number {
  const m = o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isInteger(m) || m < 1)
    throw new ExecutorConfigError(`maxInFlight: must be an integer >= 1 (got ${m})`);
  return m;
}

export const isDone = (op: OperationSpec, s: OperationState) =>
  s === 'succeeded' || (s === 'failed' && op.parameters.ignore_failure === true);

function index(graph: TasksGraph): GraphIndex {
  const pos = new Map<string, number>();
  graph.operations.forEach((op, i) => {
    if (pos.has(op.id))
      throw new ExecutorConfigError(`duplicate operation id ${op.id} in graph ${graph.name}`);
    pos.set(op.id, i);
  });
  const dependents: number[][] = graph.operations.map(() => []);
  graph.operations.forEach((op, i) => {
    for (const d of op.dependencies) {
      const j = pos.get(d);
      // a dependency on an op that is not in the graph is dropped, as Cloudify's restore does
      if (j !== undefined) dependents[j].push(i);
    }
  });
  return { name: graph.name, ops: graph.operations, pos, dependents };
}

function build(
  ref: ExecutionRef,
  graph: TasksGraph,
  states: OperationState[],
  retries: number[],
  opts: ExecutorOptions,
  resumed: boolean,
  error?: ExecutionState['error'],
): ExecutionState {
  const maxInFlight = compileOptions(opts);
  const idx = index(graph);
  const done = idx.ops.map((op, i) => isDone(op, states[i]));
  const rt: OpRuntime[] = idx.ops.map((op, i) => ({
    state: states[i],
    retries: retries[i],
    waiting: op.dependencies.filter((d) => {
      const j = idx.pos.get(d);
      return j !== undefined && !done[j];
    }).length,
  }));
  const ready: number[] = [];
  rt.forEach((r, i) => {
    if (r.state === 'pending' && r.waiting === 0) ready.push(i);
  });
  return {
    ref,
    index: idx,
    rt,
    ready,
    inFlight: 0,
    timers: 0,
    remaining: done.filter((d) => !d).length,
    phase: 'new',
    status: 'pending',
    maxInFlight,
    resumed,
    error,
  };
}

/** State for a freshly built graph: every operation pending. */
export function newExecutionState(
  ref: ExecutionRef,
  graph: TasksGraph,
  opts: ExecutorOptions = {},
): ExecutionState {
  const n = graph.operations.length;
  return build(
    ref,
    graph,
    Array.from({ length: n }, () => 'pending'),
    graph.operations.map((o) => o.parameters.current_retries ?? 0),
    opts,
    false,
  );
}

export interface RestoreOptions extends ExecutorOptions {
  /**
   * resume: succeeded ops stay done; in-flight (sending/sent/started) and rescheduled ops are
   * dispatched again; failed ops stay failed, so the execution fails again.
   * force-resume: additionally failed ops go back to pending with retries reset to 0.
   * (REST resets failed ops for a plain resume of a failed/cancelled execution too: pass
   * force-resume, or persist the reset before restoring.)
   */
  mode: 'resume' | 'force-resume';
}

/** State for a stored graph (resume): no succeeded operation is ever dispatched again. */
export function restoreExecutionState(
  ref: ExecutionRef,
  stored: StoredTasksGraph,
  opts: RestoreOptions,
): ExecutionState {
  const force = opts.mode === 'force-resume';
  const states: OperationState[] = [];
  const retries: number[] = [];
  let failed: string | undefined;
  for (const op of stored.operations) {
    const r = op.parameters.current_retries ?? 0;
    switch (op.state) {
      case 'succeeded':
        states.push('succeeded');
        retries.push(r);
        break;
      case 'failed':
        if (force) {
          states.push('pending');
          retries.push(0);
        } else {
          states.push('failed');
          retries.push(r);
          if (!op.parameters.ignore_failure) failed ??= op.id;
        }
        break;
      case 'rescheduled':
        states.push('pending');
        retries.push(force ? 0 : r);
        break;
      default:
        // pending, sending, sent, started, response-sent: run (again); local tasks re-run anyway
        states.push('pending');
        retries.push(r);
    }
  }
  const graph: TasksGraph = { name: stored.name, operations: stored.operations.map(stripState) };
  const error = failed
    ? { message: `Operation ${failed} had failed before the resume`, causes: [] as ErrorCause[] }
    : undefined;
  return build(ref, graph, states, retries, opts, true, error);
}

function stripState(op: StoredTasksGraph['operations'][number]): OperationSpec {
  const { state: _state, ...spec } = op;
  return spec;
}

export const isFinished = (s: ExecutionState) => s.phase === 'ended';

export const inFlightOperationIds = (s: ExecutionState) =>
  s.rt.flatMap((r, i) =>
    r.state === 'sending' || r.state === 'sent' || r.state === 'started' ? [s.index.ops[i].id] : [],
  );
