// The management worker: takes executions from the workflow queue (late ack: a message is acked
// only once its execution reached an end status, so a worker that dies mid-run leaves it to the
// next one), runs the system workflows that build and remove deployment environments, and every
// other built-in workflow with the engine (run-execution.ts). Its store calls ride out a database
// outage of up to storeRetryWindowMs (store-retry.ts); an execution that cannot go on for longer is
// left resumable and its message returned to the queue, never failed or acked half-way. Each running
// execution holds a lease the worker renews (leases.ts); a sweeper resumes those whose lease lapsed.
import type { Logger } from 'pino';
import { type Bus, type Consumer, WORKFLOW_QUEUE } from '../bus/port.js';
import { workflowEvent } from '../engine/index.js';
import type { WorkflowMessage } from '../executions/dispatch.js';
import type { Lifecycle } from '../executions/lifecycle.js';
import type { Db } from '../store/port.js';
import { ctxBinDir } from './ctx-bin.js';
import { stratusPlugin } from './plugins/noop.js';
import { scriptPlugin } from './plugins/script/index.js';
import type { Plugin } from './plugins/types.js';
import { runWorkflowExecution } from './run-execution.js';
import type { ExecutionStatusPort, RunnerOptions } from './runner-options.js';
import { loadDeployment } from '../store/repositories/deployments.js';
import { type ExecutionRow, loadExecution } from '../store/repositories/executions.js';
import { LEASE_TTL_MS, newOwnerName, startLeases } from './leases.js';
import { DEFAULT_STORE_RETRY_WINDOW_MS, leaveResumable, retryingDb, withStoreRetry } from './store-retry.js';
import { DEFAULT_SWEEP_MS, startSweeper } from './sweeper.js';
import type { WorkerMetrics } from './metrics.js';
import { loadNodes } from '../store/repositories/nodes.js';
import { ExecutionWriter } from './writer.js';
import { createDeploymentEnvironment, deleteDeploymentEnvironment } from './system/deployment-environment.js';
import { createSnapshot, restoreSnapshot } from './system/snapshots.js';
import type { SecretsCipher as StoredSecretsCipher } from '../store/secrets-crypto.js';

export interface WorkerOptions {
  db: Db;
  bus: Bus;
  /**
   * The execution lifecycle: the worker reports statuses through it (its rules, its side effects), and
   * its sweeper resumes executions no worker holds through it.
   */
  lifecycle: Pick<Lifecycle, 'updateStatus' | 'act' | 'dispatch'>;
  /** Root of the file server (blueprints/<tenant>/<id>/ holds the scripts). */
  resourcesDir: string;
  /** Decrypts secrets for operations; the snapshot workflows also encrypt with it. */
  secrets?: StoredSecretsCipher;
  log?: Logger;
  /** Executions run at once. @default 20 (Cloudify's max_concurrent_workflows) */
  concurrency?: number;
  /** Extra in-process plugins (by name); `stratus` and `script` are built in. */
  plugins?: Plugin[];
  retry?: RunnerOptions['retry'];
  maxInFlight?: number;
  cancelPollMs?: number;
  /** Count operations and the event lag into these (the metrics listener is on). */
  metrics?: WorkerMetrics;
  /**
   * How long a store call keeps trying through a lost database connection before the execution is
   * left resumable (env STRATUS_WORKER_DB_RETRY_WINDOW_S). @default 45000
   */
  storeRetryWindowMs?: number;
  /** An execution's lease lapses this long after its last renewal. @default 6000 */
  leaseMs?: number;
  /** How often the sweeper looks for executions whose lease lapsed (0: no sweeper). @default 5000 */
  sweepMs?: number;
}

export interface Worker {
  stop(): Promise<void>;
}

export function builtinPlugins(extra: Plugin[] = []): Map<string, Plugin> {
  const all = [
    stratusPlugin,
    scriptPlugin({ binDir: ctxBinDir(), maxProcesses: envInt('STRATUS_WORKER_MAX_PROCESSES') }),
    ...extra,
  ];
  return new Map(all.map((p) => [p.name, p]));
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const windowS = envInt('STRATUS_WORKER_DB_RETRY_WINDOW_S');
  const retry = {
    windowMs: options.storeRetryWindowMs ?? (windowS ? windowS * 1000 : DEFAULT_STORE_RETRY_WINDOW_MS),
    onRetry: (err: unknown, attempt: number) => {
      if (attempt === 1) options.log?.warn({ err: (err as Error).message }, 'database unreachable; retrying');
    },
  };
  const o: WorkerOptions = { ...options, db: retryingDb(options.db, retry) };
  const status: ExecutionStatusPort = {
    async setStatus(id, s, error) {
      // the same status again is allowed, so a change whose commit was not confirmed may be sent again
      await withStoreRetry(() => o.lifecycle.updateStatus(id, s, error ?? null), retry);
    },
  };
  const runner: RunnerOptions = {
    db: o.db,
    status,
    plugins: builtinPlugins(o.plugins),
    resourcesDir: o.resourcesDir,
    secrets: o.secrets,
    log: o.log,
    retry: o.retry,
    maxInFlight: o.maxInFlight ?? envInt('STRATUS_WORKER_MAX_IN_FLIGHT'),
    cancelPollMs: o.cancelPollMs,
    active: new Set(),
    metrics: o.metrics,
  };
  // A redelivery of an execution this worker is still running (its broker connection dropped and
  // came back) waits for the local run instead of starting a second one.
  const running = new Map<string, Promise<void>>();
  // ...and a redelivery to another worker waits for this one's claim to end (worker/leases.ts). The
  // renewals go to the store directly: a failed one is simply followed by the next.
  const leaseMs = o.leaseMs ?? LEASE_TTL_MS;
  const owner = newOwnerName();
  const lost = (id: string) => {
    for (const r of runner.active ?? []) {
      if (r.executionId !== id) continue;
      o.log?.warn({ execution_id: id }, 'another worker took the execution over; abandoning it here');
      r.abandon('another worker took it over');
    }
  };
  const leases = startLeases({ db: o.db, renewDb: options.db, ttlMs: leaseMs, onLost: lost, owner });
  const run = async (m: WorkflowMessage) => {
    if (!(await leases.acquire(m.id, (s) => !RUNNABLE.has(s)))) return;
    try {
      await handleMessage(o, runner, m);
    } finally {
      await leases.release(m.id);
    }
  };
  const sweepMs = o.sweepMs ?? DEFAULT_SWEEP_MS;
  const sweeper =
    sweepMs > 0
      ? startSweeper({
          db: options.db,
          lifecycle: o.lifecycle,
          owner: `${owner}:sweeper`,
          leaseMs,
          periodMs: sweepMs,
          log: o.log,
        })
      : undefined;
  const consumer: Consumer = await o.bus.consume(
    WORKFLOW_QUEUE,
    async (m) => {
      const id = (m as WorkflowMessage).id;
      const cur = running.get(id);
      if (cur) return cur;
      const p = run(m as WorkflowMessage).finally(() => running.delete(id));
      running.set(id, p);
      return p;
    },
    { prefetch: o.concurrency ?? 20 },
  );
  return {
    async stop() {
      await consumer.cancel();
      // Executions in progress stay started; their next worker resumes them from the stored graph.
      for (const r of runner.active ?? []) r.abandon();
      leases.stop();
      sweeper?.stop();
    },
  };
}

/** A positive integer from the environment, else undefined (the documented default applies). */
function envInt(name: string): number | undefined {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

const RUNNABLE = new Set(['pending', 'started', 'cancelling', 'force_cancelling', 'kill_cancelling']);

async function handleMessage(o: WorkerOptions, runner: RunnerOptions, msg: WorkflowMessage): Promise<void> {
  const exec = await loadExecution(o.db, msg.id);
  // Gone (deleted with its deployment) or already handled (ended before a redelivery).
  if (!exec || !RUNNABLE.has(exec.status)) return;
  try {
    switch (exec.workflow_id) {
      case 'create_deployment_environment':
      case 'delete_deployment_environment':
      case 'create_snapshot':
      case 'restore_snapshot':
        await runSystemWorkflow(runner, exec, o.secrets);
        return;
      default:
        await runWorkflowExecution(runner, exec);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (leaveResumable(err)) {
      // Nothing is recorded: the message goes back to the queue (the consumer nacks it) and the
      // execution resumes from its stored graph on whichever worker takes it, or through a sweeper.
      o.log?.warn({ execution_id: exec.id, err: message }, 'execution left resumable');
      throw err;
    }
    o.log?.warn({ execution_id: exec.id, workflow_id: exec.workflow_id, err: message }, 'execution failed');
    // Retried through an outage; when the store stays down, the message goes back to the queue. Any
    // other refusal (the status machine says no) is logged and the message acked: a requeue would only
    // bring the same refusal back at once.
    await runner.status.setStatus(exec.id, 'failed', message).catch((e: unknown) => {
      if (leaveResumable(e)) throw e;
      o.log?.error(
        { execution_id: exec.id, err: e instanceof Error ? e.message : String(e) },
        'could not record the execution as failed',
      );
    });
  }
}

function writerFor(o: RunnerOptions, exec: ExecutionRow): ExecutionWriter {
  const owner = {
    storageId: exec._storage_id,
    tenantId: exec._tenant_id,
    creatorId: exec._creator_id,
    deploymentFk: exec._deployment_fk,
  };
  return new ExecutionWriter(o.db, owner, [], o.metrics);
}

/** Runs the system workflow's body; returns the execution as it is afterwards (a restore re-stores it). */
async function systemBody(
  o: RunnerOptions,
  exec: ExecutionRow,
  cipher: StoredSecretsCipher | undefined,
  say: (m: string) => void,
): Promise<ExecutionRow> {
  switch (exec.workflow_id) {
    case 'create_deployment_environment': {
      const nodes = exec._deployment_fk === null ? [] : await loadNodes(o.db, exec._deployment_fk);
      // a redelivery after the environment was committed finds the nodes already there
      if (nodes.length === 0) await createDeploymentEnvironment(o.db, exec);
      return exec;
    }
    case 'create_snapshot':
      await createSnapshot(o.db, exec, cipher, say);
      return exec;
    case 'restore_snapshot':
      await restoreSnapshot(o.db, exec, cipher, say);
      return (await loadExecution(o.db, exec.id)) ?? exec;
    default:
      await deleteDeploymentEnvironment(o.db, exec);
      return exec;
  }
}

async function runSystemWorkflow(o: RunnerOptions, exec: ExecutionRow, cipher?: StoredSecretsCipher) {
  if (exec.status !== 'started') await o.status.setStatus(exec.id, 'started');
  const dep = exec._deployment_fk === null ? undefined : await loadDeployment(o.db, exec._deployment_fk);
  const ref = { executionId: exec.id, workflowId: exec.workflow_id, deploymentId: dep?.id ?? '' };
  const started = workflowEvent(
    ref,
    'workflow_started',
    `Starting '${exec.workflow_id}' workflow execution`,
    Date.now(),
  );
  // What the workflow said (5.1's ctx.logger.info lines), written as logs once the body is over.
  const said: string[] = [];
  const say = (m: string) => said.push(m);
  const replay = (writer: ExecutionWriter) => {
    writer.event(started);
    for (const message of said) writer.log({ level: 'info', message, logger: exec.workflow_id });
  };
  let after: ExecutionRow;
  try {
    after = await systemBody(o, exec, cipher, say);
  } catch (err) {
    if (leaveResumable(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    o.log?.warn({ execution_id: exec.id, workflow_id: exec.workflow_id, err: message }, 'execution failed');
    const writer = writerFor(o, exec);
    replay(writer);
    writer.event(
      workflowEvent(
        ref,
        'workflow_failed',
        `'${exec.workflow_id}' workflow execution failed: ${message}`,
        Date.now(),
        [{ type: err instanceof Error ? err.name : 'Error', message }],
      ),
    );
    await writer.flush().catch(() => {});
    await o.status.setStatus(exec.id, 'failed', message);
    return;
  }
  // (the delete workflow's events go with the deployment's executions when it is removed)
  const writer = writerFor(o, after);
  replay(writer);
  writer.event(
    workflowEvent(
      ref,
      'workflow_succeeded',
      `'${exec.workflow_id}' workflow execution succeeded`,
      Date.now(),
    ),
  );
  await writer.flush();
  await o.status.setStatus(exec.id, 'terminated');
}
