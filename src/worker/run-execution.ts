// Runs one execution of a built-in workflow with the engine (docs/engine.md): build the graph from
// the deployment's nodes and instances and store it before anything runs — or restore the stored
// graph (resume) — then feed the engine's step function and carry out its commands: batched writes
// (writer.ts) made durable before each dispatch, plugin operations with an AbortController each,
// retry timers, a poll for cancel requests, and the end status through the ExecutionStatusPort.
import { randomUUID } from 'node:crypto';
import {
  buildWorkflowGraph,
  type Clock,
  type Command,
  compileRetryPolicy,
  type EngineInput,
  type ExecutionRef,
  type ExecutionState,
  newExecutionState,
  type OperationSpec,
  restoreExecutionState,
  type ScaleModification,
  step,
  type TasksGraph,
  toOperationFailure,
  type WorkflowInput,
  WorkflowParameterError,
} from '../engine/index.js';
import { runRemoteOperation, type OperationEnv } from './operations.js';
import { beforeGraph, localTask, undoModification } from './modifications.js';
import { loadDeployment } from '../store/repositories/deployments.js';
import {
  type ExecutionRow,
  executionStatus,
  markResumed,
  recountFinished,
} from '../store/repositories/executions.js';
import { loadNodes } from '../store/repositories/nodes.js';
import { loadInstances, toPlanInstance } from '../store/repositories/node-instances.js';
import { loadGraph, saveGraph } from '../store/repositories/tasks-graphs.js';
import { ExecutionWriter } from './writer.js';
import { DEFAULT_MAX_IN_FLIGHT, type EndStatus, type RunnerOptions } from './runner-options.js';
import { leaveResumable, RunAbandonedError } from './store-retry.js';

const CANCEL_MODES: Record<string, 'cancel' | 'force' | 'kill'> = {
  cancelling: 'cancel',
  force_cancelling: 'force',
  kill_cancelling: 'kill',
};

/** Runs the execution to an end status. Resolves when the end status is stored. */
export async function runWorkflowExecution(o: RunnerOptions, exec: ExecutionRow): Promise<EndStatus> {
  if (exec._deployment_fk === null) {
    await o.status.setStatus(exec.id, 'started');
    await o.status.setStatus(exec.id, 'failed', `Workflow ${exec.workflow_id} needs a deployment`);
    return 'failed';
  }
  const dep = await loadDeployment(o.db, exec._deployment_fk);
  if (!dep) throw new Error(`The deployment of execution ${exec.id} no longer exists`);
  const ref: ExecutionRef = { executionId: exec.id, workflowId: exec.workflow_id, deploymentId: dep.id };
  const nodes = await loadNodes(o.db, dep._storage_id);
  const stored = await loadGraph(o.db, exec._storage_id);
  const maxInFlight = o.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  let state: ExecutionState;
  let first: EngineInput;
  let modification: ScaleModification | undefined;
  let startLogs: TasksGraph['logs'];
  if (stored) {
    // A stored graph: the worker died (status still started/cancelling), or a user resumed a
    // failed/cancelled execution, which the lifecycle already reset (resetForResume).
    await markResumed(o.db, exec._storage_id);
    await recountFinished(o.db, exec._storage_id);
    state = restoreExecutionState(ref, stored, { mode: 'resume', maxInFlight });
    first = { type: 'resume' };
    o.log?.info({ execution_id: exec.id }, 'resuming execution from its stored task graph');
  } else {
    const instances = await loadInstances(o.db, dep._storage_id);
    const input: WorkflowInput = {
      workflowId: exec.workflow_id,
      executionId: exec.id,
      deploymentId: dep.id,
      plan: {
        nodes,
        node_instances: instances.map(toPlanInstance),
        scaling_groups: dep.scaling_groups ?? {},
      },
      parameters: exec.parameters ?? {},
      retryPolicy: compileRetryPolicy({
        maxRetries: o.retry?.maxRetries ?? 60,
        retryIntervalMs: o.retry?.retryIntervalMs ?? 15_000,
      }),
      ids: { next: () => randomUUID() },
    };
    let graph: ReturnType<typeof buildWorkflowGraph>;
    try {
      modification = await beforeGraph(o.db, exec, dep, nodes, instances, input);
      graph = buildWorkflowGraph(input);
    } catch (err) {
      if (!(err instanceof WorkflowParameterError)) throw err;
      // Nothing was stored: the execution fails with the parameter error as its message.
      await o.status.setStatus(exec.id, 'started');
      const writer = new ExecutionWriter(o.db, scopeOf(exec), [], o.metrics);
      writer.event({
        type: 'cloudify_event',
        event_type: 'workflow_failed',
        timestamp: new Date().toISOString(),
        message: { text: `'${exec.workflow_id}' workflow execution failed: ${err.message}`, arguments: null },
        context: { deployment_id: dep.id, execution_id: exec.id, workflow_id: exec.workflow_id },
        error_causes: [{ type: err.name, message: err.message }],
      });
      await writer.flush();
      await o.status.setStatus(exec.id, 'failed', err.message);
      return 'failed';
    }
    await saveGraph(o.db, exec, graph);
    startLogs = graph.logs;
    state = newExecutionState(ref, graph, { maxInFlight });
    first = { type: 'start' };
  }
  const finished = stored
    ? stored.operations.filter((op) => op.state === 'succeeded' || op.state === 'failed').map((op) => op.id)
    : [];
  const writer = new ExecutionWriter(o.db, scopeOf(exec), finished, o.metrics);
  writer.logAfterStart(startLogs ?? [], `ctx.${exec.id}`);
  const env: OperationEnv = {
    db: o.db,
    exec,
    dep,
    nodes: new Map(nodes.map((n) => [n.id, n])),
    resourcesDir: o.resourcesDir,
    plugins: o.plugins,
    secrets: o.secrets,
    writer,
  };
  const run = new Run(o, exec, env, writer, state, modification);
  const initialCancel = CANCEL_MODES[exec.status];
  o.active?.add(run);
  try {
    return await run.start(first, initialCancel);
  } finally {
    o.active?.delete(run);
  }
}

const scopeOf = (exec: ExecutionRow) => ({
  storageId: exec._storage_id,
  tenantId: exec._tenant_id,
  creatorId: exec._creator_id,
  deploymentFk: exec._deployment_fk,
});

class Run {
  private inbox: EngineInput[] = [];
  private processing = false;
  private readonly controllers = new Map<string, AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poll: NodeJS.Timeout | undefined;
  private cancelFed: 'cancel' | 'force' | 'kill' | undefined;
  private ended = false;
  private abandoned = false;
  /** The run's promise was resolved or rejected. */
  private settled = false;
  private resolve!: (s: EndStatus) => void;
  private reject!: (e: unknown) => void;
  private readonly clock: Clock;

  constructor(
    private readonly o: RunnerOptions,
    private readonly exec: ExecutionRow,
    private readonly env: OperationEnv,
    private readonly writer: ExecutionWriter,
    private state: ExecutionState,
    private readonly modification: ScaleModification | undefined,
  ) {
    this.clock = o.clock ?? { now: () => Date.now() };
  }

  get executionId(): string {
    return this.exec.id;
  }

  start(first: EngineInput, cancel?: 'cancel' | 'force' | 'kill'): Promise<EndStatus> {
    const done = new Promise<EndStatus>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.feed(first);
    if (cancel) this.requestCancel(cancel);
    this.poll = setInterval(() => void this.pollCancel(), this.o.cancelPollMs ?? 1000);
    return done;
  }

  private requestCancel(mode: 'cancel' | 'force' | 'kill') {
    const rank = { cancel: 1, force: 2, kill: 3 };
    if (this.cancelFed && rank[this.cancelFed] >= rank[mode]) return;
    this.cancelFed = mode;
    this.feed({ type: 'cancelRequested', mode });
  }

  private async pollCancel() {
    if (this.ended) return;
    try {
      const s = await executionStatus(this.o.db, this.exec._storage_id);
      const mode = s ? CANCEL_MODES[s] : undefined;
      if (mode) this.requestCancel(mode);
    } catch (err) {
      this.o.log?.warn({ execution_id: this.exec.id, err: (err as Error).message }, 'cancel poll failed');
    }
  }

  /**
   * The worker is stopping: kill the running operations' processes and write nothing more. The
   * stored graph keeps them `sent`/`started`, so the next worker runs them again (resume). The run's
   * promise rejects with RunAbandonedError: the execution is left as it is.
   */
  abandon(why = 'the worker is stopping') {
    if (this.abandoned) return;
    this.abandoned = true;
    this.ended = true;
    clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.controllers.values()) c.abort();
    if (!this.settled) {
      this.settled = true;
      this.reject(new RunAbandonedError(why));
    }
  }

  feed(ev: EngineInput) {
    if (this.abandoned) return;
    this.inbox.push(ev);
    if (!this.processing) {
      this.processing = true;
      this.drain().catch((err) => this.fatal(err));
    }
  }

  private async drain() {
    while (this.inbox.length && !this.abandoned) {
      const events = this.inbox.splice(0);
      const dispatches: Extract<Command, { kind: 'dispatchOperation' }>[] = [];
      let finish: Extract<Command, { kind: 'finishExecution' }> | undefined;
      for (const ev of events) {
        const r = step(this.state, ev, { clock: this.clock });
        this.state = r.state;
        for (const c of r.commands) {
          switch (c.kind) {
            case 'persistOperationState':
              this.writer.opState(c.operationId, {
                state: c.state,
                retries: c.currentRetries,
                result: c.result,
                error: c.error,
              });
              this.o.metrics?.operationState(c.state);
              break;
            case 'emitEvent':
              this.writer.event(c.event);
              break;
            case 'setNodeInstanceState':
              this.writer.nodeState(c.nodeInstanceId, c.state);
              break;
            case 'dispatchOperation':
              dispatches.push(c);
              break;
            case 'scheduleRetry': {
              const t = setTimeout(() => {
                this.timers.delete(t);
                this.feed({ type: 'timerFired', operationId: c.operationId });
              }, c.afterMs);
              this.timers.add(t);
              break;
            }
            case 'cancelOperations':
              for (const id of c.operationIds) this.controllers.get(id)?.abort();
              break;
            case 'updateExecutionStatus':
              // `cancelling` was set by REST already; `started` is ours to report.
              if (c.status === 'started') {
                await this.writer.flush();
                await this.reportStarted();
              }
              break;
            case 'finishExecution':
              finish = c;
              break;
          }
        }
      }
      await this.writer.flush();
      if (this.abandoned) break;
      for (const d of dispatches) this.startOperation(d.operation, d.currentRetries);
      if (finish && !this.ended) await this.finish(finish.status, finish.error);
    }
    this.processing = false;
  }

  /** `started`, unless REST already moved the execution to a cancelling status (then that stays). */
  private async reportStarted() {
    try {
      await this.o.status.setStatus(this.exec.id, 'started');
    } catch (err) {
      const now = await executionStatus(this.o.db, this.exec._storage_id);
      if (!now || !CANCEL_MODES[now]) throw err;
      this.requestCancel(CANCEL_MODES[now]);
    }
  }

  private startOperation(op: OperationSpec, retries: number) {
    const ac = new AbortController();
    this.controllers.set(op.id, ac);
    this.feed({ type: 'operationStarted', operationId: op.id });
    void this.runOperation(op, retries, ac.signal).then(
      (result) => {
        this.controllers.delete(op.id);
        this.feed({ type: 'operationSucceeded', operationId: op.id, result: result ?? undefined });
      },
      (err) => {
        this.controllers.delete(op.id);
        this.feed({ type: 'operationFailed', operationId: op.id, failure: toOperationFailure(err) });
      },
    );
  }

  private async runOperation(op: OperationSpec, retries: number, signal: AbortSignal): Promise<unknown> {
    if (op.type === 'RemoteWorkflowTask') return runRemoteOperation(this.env, op, retries, signal);
    const touched = () =>
      this.state.index.ops
        .map((x) => x.parameters.task_kwargs.node_instance_id)
        .filter((x): x is string => !!x);
    return localTask(
      this.env.db,
      this.exec,
      this.env.dep._storage_id,
      op.parameters.task_kwargs.local_task!,
      touched,
    );
  }

  private async finish(status: EndStatus, error?: string) {
    this.ended = true;
    clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (status !== 'terminated') {
      await undoModification(this.env.db, this.exec, this.env.dep._storage_id, this.modification, this.o.log);
    }
    try {
      await this.o.status.setStatus(this.exec.id, status, error);
    } catch (err) {
      // REST moved it to cancelling while the last operation finished: it ends cancelled.
      if (status === 'terminated' && !leaveResumable(err))
        await this.o.status.setStatus(this.exec.id, 'cancelled');
      else throw err;
      status = 'cancelled';
    }
    this.settled = true;
    this.resolve(status);
  }

  /** A write failed (the store stayed down, or a bug): nothing more is written; the caller decides. */
  private fatal(err: unknown) {
    this.processing = false;
    if (this.settled) {
      this.o.log?.error({ execution_id: this.exec.id, err: (err as Error).message }, 'late write failed');
      return;
    }
    this.settled = true;
    this.abandoned = true;
    this.ended = true;
    clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.controllers.values()) c.abort();
    this.reject(err);
  }
}
