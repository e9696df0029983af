// The execution lifecycle, shared by the REST service and the worker (rest-api.md §6): create (pending
// or queued), the status changes workers report, the user actions, the FIFO queue under the
// `max_concurrent_workflows` cap, the hand-over to a worker, and the one resume reset. All SQL is in
// store/repositories; this module decides.
import { randomUUID } from 'node:crypto';
import { existingRunningExecution, notFoundResource } from '../common/errors.js';
import { randomString } from '../common/tokens.js';
import type { Db } from '../store/port.js';
import { deleteDeployment, markInProgress, setDeploymentStatus } from '../store/repositories/deployments.js';
import * as repo from '../store/repositories/executions.js';
import {
  ACTIVE_STATES,
  applyAction,
  END_STATES,
  type ExecutionStatus,
  isEnd,
  validateStatusUpdate,
} from './status.js';

/** Hands a pending execution to whoever runs workflows (see dispatch.ts). */
export interface ExecutionDispatcher {
  dispatch(executionId: string): Promise<void>;
}

export interface LifecycleOptions {
  db: Db;
  /** Absent: pending executions stay pending (a REST service with no worker, in tests). */
  dispatcher?: ExecutionDispatcher;
  /** `max_concurrent_workflows` (Cloudify's default: 20), read at each decision so a change applies at once. */
  settings: { maxConcurrentWorkflows: number };
}

export interface NewExecution {
  tenantId: number;
  creatorId: number;
  /** Storage id of the deployment; null for a system-wide execution. */
  deploymentFk: number | null;
  blueprintId: string | null;
  workflowId: string;
  parameters: Record<string, unknown>;
  isSystemWorkflow?: boolean;
  isDryRun?: boolean;
  allowCustomParameters?: boolean;
  /** Queue behind a running execution of the same deployment instead of failing. */
  queue?: boolean;
  /** Start even though the deployment has an active execution. */
  force?: boolean;
  visibility?: string;
  id?: string;
}

export interface CreatedExecution {
  id: string;
  storageId: number;
  status: ExecutionStatus;
}

export interface StatusUpdateResult {
  id: string;
  from: string;
  status: ExecutionStatus;
  /** The deployment was removed (delete_deployment_environment ended). */
  deploymentDeleted: boolean;
  /** Queued executions started because this one ended. */
  dequeued: string[];
}

const BUSY = [...ACTIVE_STATES, 'queued'] as const;

/** The lifecycle over one database; the REST service and the worker each hold one. */
export class Lifecycle {
  /** A worker takes what is dispatched (false: executions stay pending). */
  readonly dispatches: boolean;
  private readonly db: Db;

  constructor(private readonly o: LifecycleOptions) {
    this.db = o.db;
    this.dispatches = o.dispatcher !== undefined;
  }

  private cap(): number {
    return this.o.settings.maxConcurrentWorkflows;
  }

  /** Hands a pending execution to the dispatcher; one that throws (broker down) fails the execution. */
  readonly dispatch = async (id: string): Promise<void> => {
    if (!this.o.dispatcher) return;
    try {
      await this.o.dispatcher.dispatch(id);
    } catch (e) {
      const why = `Could not hand the execution to a worker: ${(e as Error).message}`;
      await repo.failUndispatched(this.db, id, why);
    }
  };

  /**
   * Promotes queued executions to pending in FIFO order, at most one active per deployment and
   * within the cap, then dispatches them. Returns the promoted ids.
   */
  async startQueued(): Promise<string[]> {
    const promoted = await this.db.transaction(async (tx) => {
      await repo.lockQueue(tx);
      const queued = await repo.lockQueued(tx);
      if (queued.length === 0) return [];
      let active = await repo.countIn(tx, ACTIVE_STATES);
      const busy = await repo.deploymentsWith(tx, ACTIVE_STATES);
      // A deployment whose oldest queued execution cannot start yet keeps its younger ones waiting too.
      const held = new Set<number>();
      const ids: string[] = [];
      for (const q of queued) {
        if (active >= this.cap()) break;
        const d = q._deployment_fk;
        // A system-wide execution (a queued create_snapshot) starts only once nothing else runs.
        if (d === null && active > 0) break;
        if (d !== null) {
          if (busy.has(d) || held.has(d)) {
            held.add(d);
            continue;
          }
          busy.add(d);
        }
        await repo.setQueuedPending(tx, q._storage_id);
        ids.push(q.id);
        active++;
      }
      return ids;
    });
    for (const id of promoted) await this.dispatch(id);
    return promoted;
  }

  /**
   * Inserts an execution inside the caller's transaction as `pending`, or `queued` when its
   * deployment is busy and `queue` is set, or when the cap is reached. A busy deployment without
   * queue or force → existing_running_execution_error. The caller dispatches it after the commit.
   */
  async insertExecution(tx: Db, e: NewExecution): Promise<CreatedExecution> {
    const id = e.id ?? randomUUID();
    await repo.lockQueue(tx);
    let status: ExecutionStatus = 'pending';
    const busy = e.deploymentFk === null ? undefined : await repo.firstOfDeployment(tx, e.deploymentFk, BUSY);
    if (busy && !e.force) {
      if (!e.queue) {
        throw existingRunningExecution(
          `The following executions are currently running for this deployment: ['${busy.id}']. To execute this workflow anyway, pass "force=true" as a query parameter to this request`,
        );
      }
      status = 'queued';
    }
    const active = await repo.countIn(tx, ACTIVE_STATES);
    if (status === 'pending' && active >= this.cap()) status = 'queued';
    // 5.1: a queued system-wide execution waits for every active one.
    if (e.deploymentFk === null && e.queue && active > 0) status = 'queued';
    const storageId = await repo.insertExecution(tx, {
      id,
      visibility: e.visibility ?? 'tenant',
      tenantId: e.tenantId,
      creatorId: e.creatorId,
      deploymentFk: e.deploymentFk,
      blueprintId: e.blueprintId,
      workflowId: e.workflowId,
      status,
      parameters: e.parameters ?? {},
      isSystemWorkflow: e.isSystemWorkflow ?? false,
      isDryRun: e.isDryRun ?? false,
      allowCustomParameters: e.allowCustomParameters ?? false,
      token: randomString(40),
    });
    return { id, storageId, status };
  }

  /** Creates an execution (see insertExecution) and dispatches it when pending. */
  async create(e: NewExecution): Promise<CreatedExecution> {
    const created = await this.db.transaction((tx) => this.insertExecution(tx, e));
    if (created.status === 'pending') await this.dispatch(created.id);
    return created;
  }

  /**
   * A worker's status report (PATCH /executions/{id}): validates the change, stamps started_at /
   * ended_at, moves the deployment's status, removes the deployment when
   * delete_deployment_environment terminates (or fails with force), and on an end status starts
   * queued executions. `tenantId` scopes the lookup (undefined = any tenant, for in-process callers).
   */
  async updateStatus(
    id: string,
    status: string,
    error?: string | null,
    tenantId?: number,
  ): Promise<StatusUpdateResult> {
    const result = await this.db.transaction(async (tx) => {
      const ex = await repo.lockForStatusChange(tx, id, tenantId);
      if (!ex) throw notFoundResource('Execution', id);
      validateStatusUpdate(ex.workflow_id, ex.status, status);
      await repo.writeStatus(tx, ex._storage_id, status, error ?? null, END_STATES);
      const deploymentDeleted = ex.status !== status && (await applyToDeployment(tx, ex, status));
      return { id, from: ex.status, status: status as ExecutionStatus, deploymentDeleted };
    });
    const dequeued = isEnd(status) && result.from !== status ? await this.startQueued() : [];
    return { ...result, dequeued };
  }

  /**
   * A user's action (POST /executions/{id}) on an execution the caller may see: cancel, kill,
   * resume (the one reset: resetForResume) and their forced forms. Resumed executions go back to
   * a worker; one cancelled at once lets queued ones start.
   */
  async act(ex: { id: string; storageId: number; status: string }, action: string): Promise<void> {
    const r = applyAction(ex.id, ex.status, action);
    if (r.resume) {
      await repo.resetForResume(this.db, ex.storageId, randomString(40));
      await this.dispatch(ex.id);
    } else {
      await repo.writeCancel(this.db, ex.storageId, r.status);
      if (isEnd(r.status)) await this.startQueued();
    }
  }

  /** Would this execution start now (GET /executions/{id}/should-start)? */
  async shouldStart(storageId: number): Promise<boolean> {
    const ex = await repo.queueFacts(this.db, storageId);
    if (!ex || isEnd(ex.status)) return false;
    const d = ex._deployment_fk;
    if (d !== null && (await repo.deploymentHasOther(this.db, d, storageId, ACTIVE_STATES))) return false;
    return (await repo.countIn(this.db, ACTIVE_STATES, storageId)) < this.cap();
  }
}

/**
 * The deployment follows its execution: in progress when it starts; good or requires_attention when
 * it ends; removed when delete_deployment_environment terminates (or fails with force). Returns
 * whether it was removed.
 */
async function applyToDeployment(tx: Db, ex: repo.LockedExecution, status: string): Promise<boolean> {
  const dep = ex._deployment_fk;
  if (dep === null) return false;
  if (status === 'started') await markInProgress(tx, dep, ex._storage_id);
  if (!isEnd(status)) return false;
  const force = ex.parameters?.force === true;
  if (
    ex.workflow_id === 'delete_deployment_environment' &&
    (status === 'terminated' || (status === 'failed' && force))
  ) {
    await deleteDeployment(tx, dep);
    return true;
  }
  await setDeploymentStatus(tx, dep, status === 'terminated' ? 'good' : 'requires_attention');
  return false;
}

/**
 * A fresh execution token for an execution about to run (the database keeps only its sha256, so the
 * raw token cannot be read back).
 */
export async function issueExecutionToken(db: Db, executionId: string): Promise<string> {
  const token = randomString(40);
  if (!(await repo.setToken(db, executionId, token))) throw notFoundResource('Execution', executionId);
  return token;
}
