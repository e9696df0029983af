// Shared fixtures and a tiny in-memory worker for engine tests.
import {
  buildWorkflowGraph,
  type Command,
  type EngineEvent,
  type ExecutionState,
  fixedClock,
  counterIds,
  newExecutionState,
  type OperationFailure,
  type OperationSpec,
  type OperationState,
  type PlanNode,
  type PlanNodeInstance,
  type PlanOperation,
  step,
  type StoredTasksGraph,
  type TasksGraph,
  type WorkflowInput,
} from '../../src/engine/index.js';

export const ref = { executionId: 'exec-1', workflowId: 'install', deploymentId: 'd1' };

export const script = (name: string, extra: Partial<PlanOperation> = {}): PlanOperation => ({
  operation: 'script_runner.tasks.run',
  plugin: 'script',
  executor: 'central_deployment_agent',
  inputs: { script_path: `scripts/${name}.sh` },
  max_retries: null,
  retry_interval: null,
  ...extra,
});

const LC = 'cloudify.interfaces.lifecycle';
const RL = 'cloudify.interfaces.relationship_lifecycle';
export const lifecycleOps = (node: string, ops = ['create', 'configure', 'start', 'stop', 'delete']) =>
  Object.fromEntries(ops.map((o) => [`${LC}.${o}`, script(`${node}-${o}`)]));
const relOps = (side: string, ops = ['preconfigure', 'postconfigure', 'establish', 'unlink']) =>
  Object.fromEntries(ops.map((o) => [`${RL}.${o}`, script(`${side}-${o}`)]));

const CONTAINED = ['cloudify.relationships.depends_on', 'cloudify.relationships.contained_in'];
const CONNECTED = ['cloudify.relationships.depends_on', 'cloudify.relationships.connected_to'];

/** host ×2, db contained_in host (one per host), app connected_to db (both dbs). */
export function fixturePlan(opts: { appContainedInHost?: boolean } = {}) {
  const nodes: PlanNode[] = [
    {
      id: 'host',
      type: 'cloudify.nodes.Compute',
      type_hierarchy: ['cloudify.nodes.Root', 'cloudify.nodes.Compute'],
      operations: lifecycleOps('host'),
      relationships: [],
      host_id: 'host',
    },
    {
      id: 'db',
      type: 'cloudify.nodes.DBMS',
      type_hierarchy: ['cloudify.nodes.Root', 'cloudify.nodes.SoftwareComponent', 'cloudify.nodes.DBMS'],
      operations: lifecycleOps('db'),
      relationships: [
        { type: 'cloudify.relationships.contained_in', target_id: 'host', type_hierarchy: CONTAINED },
      ],
      host_id: 'host',
    },
    {
      id: 'app',
      type: 'cloudify.nodes.ApplicationModule',
      type_hierarchy: ['cloudify.nodes.Root', 'cloudify.nodes.ApplicationModule'],
      operations: lifecycleOps('app'),
      relationships: [
        {
          type: 'cloudify.relationships.connected_to',
          target_id: 'db',
          type_hierarchy: CONNECTED,
          source_operations: relOps('src'),
          target_operations: relOps('tgt'),
        },
      ],
    },
  ];
  const node_instances: PlanNodeInstance[] = [
    { id: 'host_1', node_id: 'host', host_id: 'host_1', relationships: [] },
    { id: 'host_2', node_id: 'host', host_id: 'host_2', relationships: [] },
    {
      id: 'db_1',
      node_id: 'db',
      host_id: 'host_1',
      relationships: [
        { type: 'cloudify.relationships.contained_in', target_id: 'host_1', target_name: 'host' },
      ],
    },
    {
      id: 'db_2',
      node_id: 'db',
      host_id: 'host_2',
      relationships: [
        { type: 'cloudify.relationships.contained_in', target_id: 'host_2', target_name: 'host' },
      ],
    },
    {
      id: 'app_1',
      node_id: 'app',
      relationships: [
        { type: 'cloudify.relationships.connected_to', target_id: 'db_1', target_name: 'db' },
        { type: 'cloudify.relationships.connected_to', target_id: 'db_2', target_name: 'db' },
      ],
    },
  ];
  if (opts.appContainedInHost) {
    nodes[2].relationships!.unshift({
      type: 'cloudify.relationships.contained_in',
      target_id: 'host',
      type_hierarchy: CONTAINED,
    });
  }
  return { nodes, node_instances };
}

export function graphFor(
  workflowId: string,
  parameters: Record<string, unknown> = {},
  plan = fixturePlan(),
  extra: Partial<WorkflowInput> = {},
): TasksGraph {
  return buildWorkflowGraph({
    workflowId,
    executionId: 'exec-1',
    deploymentId: 'd1',
    plan,
    parameters,
    ids: counterIds(),
    ...extra,
  });
}

export const label = (op: OperationSpec) => {
  const k = op.parameters.task_kwargs;
  const short = (k.operation ?? op.name).split('.').pop();
  if (k.relationship)
    return `${k.relationship.source_id}->${k.relationship.target_id}.${short}[${k.relationship.side}]`;
  if (k.local_task) return k.local_task;
  return `${k.node_instance_id}.${short}`;
};

export type Outcome = 'ok' | OperationFailure | 'hang';

export interface RunLog {
  state: ExecutionState;
  commands: Command[];
  /** dispatch:<label> and done:<label> in the order they happened */
  trace: string[];
  dispatched: string[];
  nodeStates: Map<string, string[]>;
  events: EngineEvent[];
  maxInFlight: number;
  persisted: Map<string, { state: OperationState; currentRetries: number }>;
}

/**
 * Drive the executor like a worker would: replies come back one at a time, oldest dispatch
 * first; retry timers fire by advancing the clock. `decide` picks each attempt's outcome;
 * `stopAfter` halts after that many replies (to simulate a dead worker).
 */
export function run(
  initial: ExecutionState,
  opts: {
    decide?: (label: string, attempt: number, op: OperationSpec) => Outcome;
    stopAfter?: number;
    before?: (log: RunLog) => void;
    first?: 'start' | 'resume';
  } = {},
): RunLog {
  const clock = fixedClock();
  const log: RunLog = {
    state: initial,
    commands: [],
    trace: [],
    dispatched: [],
    nodeStates: new Map(),
    events: [],
    maxInFlight: 0,
    persisted: new Map(),
  };
  const inflight: OperationSpec[] = [];
  const timers: { id: string; dueAt: number }[] = [];
  const attempts = new Map<string, number>();
  const apply = (cmds: Command[]) => {
    for (const c of cmds) {
      log.commands.push(c);
      if (c.kind === 'dispatchOperation') {
        inflight.push(c.operation);
        log.trace.push(`dispatch:${label(c.operation)}`);
        log.dispatched.push(label(c.operation));
      } else if (c.kind === 'setNodeInstanceState') {
        const l = log.nodeStates.get(c.nodeInstanceId) ?? [];
        l.push(c.state);
        log.nodeStates.set(c.nodeInstanceId, l);
      } else if (c.kind === 'emitEvent') log.events.push(c.event);
      else if (c.kind === 'scheduleRetry') timers.push({ id: c.operationId, dueAt: c.dueAt });
      else if (c.kind === 'persistOperationState') {
        log.persisted.set(c.operationId, { state: c.state, currentRetries: c.currentRetries });
      } else if (c.kind === 'cancelOperations') {
        for (const id of c.operationIds)
          inflight.splice(
            inflight.findIndex((o) => o.id === id),
            1,
          );
      }
    }
    log.maxInFlight = Math.max(log.maxInFlight, inflight.length);
  };
  const feed = (e: Parameters<typeof step>[1]) => {
    const r = step(log.state, e, { clock });
    log.state = r.state;
    apply(r.commands);
  };
  feed({ type: opts.first ?? (initial.resumed ? 'resume' : 'start') });
  let replies = 0;
  while (log.state.phase !== 'ended') {
    if (opts.stopAfter !== undefined && replies >= opts.stopAfter) {
      // the worker dies while the oldest in-flight op is running
      if (inflight[0]) feed({ type: 'operationStarted', operationId: inflight[0].id });
      break;
    }
    opts.before?.(log);
    if ((log.state.phase as string) === 'ended') break;
    const op = inflight.shift();
    if (op) {
      const l = label(op);
      const n = (attempts.get(op.id) ?? 0) + 1;
      attempts.set(op.id, n);
      const out = opts.decide?.(l, n, op) ?? 'ok';
      if (out === 'hang') {
        inflight.push(op);
        if (inflight.every((o) => opts.decide?.(label(o), attempts.get(o.id) ?? 1, o) === 'hang')) break;
        continue;
      }
      feed({ type: 'operationStarted', operationId: op.id });
      replies++;
      if (out === 'ok') {
        log.trace.push(`done:${l}`);
        feed({ type: 'operationSucceeded', operationId: op.id });
      } else {
        log.trace.push(`failed:${l}`);
        feed({ type: 'operationFailed', operationId: op.id, failure: out });
      }
    } else if (timers.length) {
      timers.sort((a, b) => a.dueAt - b.dueAt);
      const t = timers.shift()!;
      clock.advance(Math.max(0, t.dueAt - clock.now()));
      feed({ type: 'timerFired', operationId: t.id });
    } else break;
  }
  return log;
}

/** The stored form of a graph after a run: each op with its last persisted state. */
export function stored(graph: TasksGraph, log: RunLog): StoredTasksGraph {
  return {
    name: graph.name,
    operations: graph.operations.map((op) => {
      const p = log.persisted.get(op.id);
      return {
        ...op,
        state: p?.state ?? 'pending',
        parameters: { ...op.parameters, current_retries: p?.currentRetries ?? 0 },
      };
    }),
  };
}

export const start = (graph: TasksGraph, maxInFlight = 100) => newExecutionState(ref, graph, { maxInFlight });

/** Assert `a` finished before `b` was dispatched, for every listed pair. */
export function before(trace: string[], a: string, b: string): boolean {
  const done = trace.indexOf(`done:${a}`);
  const disp = trace.indexOf(`dispatch:${b}`);
  if (done < 0) throw new Error(`${a} never finished; trace: ${trace.join(' ')}`);
  if (disp < 0) throw new Error(`${b} never dispatched; trace: ${trace.join(' ')}`);
  return done < disp;
}
