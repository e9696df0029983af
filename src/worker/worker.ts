// The management worker: takes executions from the workflow queue (late ack), moves them through
// pending → started → terminated|failed, and runs what it can. System workflows that build and remove
// deployment environments run here; user workflows (install, uninstall, …) need the engine wiring of
// issue 4 and fail with a message saying so, rather than hanging in `started`.
import type { Logger } from 'pino';
import { type Bus, type Consumer, WORKFLOW_QUEUE } from '../bus/port.js';
import type { Db } from '../store/port.js';
import { createDeploymentEnvironment, deleteDeploymentEnvironment, type ExecutionRow } from './system/deployment-environment.js';

/** How the worker reports an execution's status: the manager's status machine, with its side effects. */
export interface ExecutionStatusPort {
  setStatus(executionId: string, status: 'started' | 'terminated' | 'failed', error?: string): Promise<void>;
}

export interface WorkflowMessage {
  id: string;
}

export interface WorkerOptions {
  db: Db;
  bus: Bus;
  status: ExecutionStatusPort;
  log?: Logger;
  /** Executions run at once. @default 10 (Cloudify's MAX_WORKERS) */
  concurrency?: number;
}

export interface Worker {
  stop(): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<Worker> {
  const consumer: Consumer = await o.bus.consume(WORKFLOW_QUEUE, (m) => runExecution(o, m as WorkflowMessage), {
    prefetch: o.concurrency ?? 10,
  });
  return { stop: () => consumer.cancel() };
}

async function runExecution(o: WorkerOptions, msg: WorkflowMessage): Promise<void> {
  const [exec] = await o.db.query<ExecutionRow>(
    'SELECT _storage_id, id, workflow_id, status, parameters, _tenant_id, _creator_id, _deployment_fk FROM executions WHERE id = $1',
    [msg.id],
  );
  // Gone (deleted with its deployment) or already handled (cancelled, or ended before a redelivery).
  if (!exec || !['pending', 'started'].includes(exec.status)) return;
  await o.status.setStatus(exec.id, 'started');
  try {
    switch (exec.workflow_id) {
      case 'create_deployment_environment':
        await createDeploymentEnvironment(o.db, exec);
        break;
      case 'delete_deployment_environment':
        await deleteDeploymentEnvironment(o.db, exec);
        break;
      default:
        throw new Error(`Running the workflow "${exec.workflow_id}" is not available yet: the workflow engine is not wired into the worker`);
    }
    await o.status.setStatus(exec.id, 'terminated');
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    o.log?.warn({ execution_id: exec.id, workflow_id: exec.workflow_id, err: message }, 'execution failed');
    await o.status.setStatus(exec.id, 'failed', message);
  }
}
