// Execution bookkeeping shared by the REST routes and the worker: create (pending or queued), status
// updates with the §6.2 validation, the FIFO dequeue under row locks, and execution tokens.
// The worker in the same process may call these directly instead of going through HTTP.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/port.js';
import { randomString, sha256 } from '../auth/tokens.js';
import type { ManagerConfig } from '../config.js';
import type { ManagerContext } from '../context.js';
import { existingRunningExecution, notFoundResource } from '../errors.js';
import { ACTIVE_STATES, type ExecutionStatus, isEnd, sqlArray, validateStatusUpdate } from './status.js';

/** Cloudify's `max_concurrent_workflows` default. */
export const DEFAULT_MAX_CONCURRENT_WORKFLOWS = 20;
let capOverride: number | undefined;

/** Test hook: a low cap for queueing tests; `undefined` restores the default. */
export function setMaxConcurrentWorkflows(n: number | undefined): void {
  capOverride = n;
}

export function maxConcurrentWorkflows(config?: ManagerConfig): number {
  const fromConfig = (config as { maxConcurrentWorkflows?: unknown } | undefined)?.maxConcurrentWorkflows;
  return capOverride ?? (typeof fromConfig === 'number' ? fromConfig : DEFAULT_MAX_CONCURRENT_WORKFLOWS);
}

/** One advisory lock serialises start/queue decisions and dequeues across every manager. */
const QUEUE_LOCK = 731_005_101;
const ACTIVE = sqlArray(ACTIVE_STATES);
const BUSY = sqlArray([...ACTIVE_STATES, 'queued']);

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
  /** The raw execution token; only its sha256 is stored. */
  token: string;
}

/**
 * Inserts an execution as `pending`, or `queued` when its deployment is busy and `queue` is set, or
 * when the global cap is reached. A busy deployment without queue/force → existing_running_execution_error.
 * The caller dispatches it (see dispatchExecution) when the status is pending.
 */
export async function createExecution(
  db: Db,
  config: ManagerConfig,
  e: NewExecution,
): Promise<CreatedExecution> {
  const id = e.id ?? randomUUID();
  const token = randomString(40);
  const created = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [QUEUE_LOCK]);
    let status: ExecutionStatus = 'pending';
    if (e.deploymentFk !== null) {
      const busy = await tx.query<{ id: string; status: string }>(
        'SELECT id, status FROM executions WHERE _deployment_fk = $1 AND status = ANY($2::text[]) ORDER BY _storage_id LIMIT 1',
        [e.deploymentFk, BUSY],
      );
      if (busy.length && !e.force) {
        if (!e.queue) {
          throw existingRunningExecution(
            `The following executions are currently running for this deployment: ['${busy[0].id}']. To execute this workflow anyway, pass "force=true" as a query parameter to this request`,
          );
        }
        status = 'queued';
      }
    }
    if (status === 'pending') {
      const [{ n }] = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM executions WHERE status = ANY($1::text[])',
        [ACTIVE],
      );
      if (n >= maxConcurrentWorkflows(config)) status = 'queued';
    }
    const [row] = await tx.query<{ _storage_id: number }>(
      `INSERT INTO executions (id, visibility, _tenant_id, _creator_id, _deployment_fk, blueprint_id, workflow_id,
         status, parameters, is_system_workflow, is_dry_run, allow_custom_parameters, token)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13) RETURNING _storage_id`,
      [
        id,
        e.visibility ?? 'tenant',
        e.tenantId,
        e.creatorId,
        e.deploymentFk,
        e.blueprintId,
        e.workflowId,
        status,
        JSON.stringify(e.parameters ?? {}),
        e.isSystemWorkflow ?? false,
        e.isDryRun ?? false,
        e.allowCustomParameters ?? false,
        sha256(token),
      ],
    );
    if (e.deploymentFk !== null) {
      await tx.query('UPDATE deployments SET _latest_execution_fk = $2 WHERE _storage_id = $1', [
        e.deploymentFk,
        row._storage_id,
      ]);
    }
    return { storageId: row._storage_id, status };
  });
  return { id, token, ...created };
}

/**
 * A fresh execution token for an execution about to run: the dispatcher calls it when it builds the
 * worker's message (the DB keeps only sha256, so the raw token cannot be read back).
 */
export async function issueExecutionToken(db: Db, executionId: string): Promise<string> {
  const token = randomString(40);
  const rows = await db.query('UPDATE executions SET token = $2 WHERE id = $1 RETURNING id', [
    executionId,
    sha256(token),
  ]);
  if (rows.length === 0) throw notFoundResource('Execution', executionId);
  return token;
}

/**
 * Hands a pending execution to the dispatcher, if there is one (else it stays pending). A dispatcher
 * that throws (broker down) fails the execution with the reason instead of failing the request.
 */
export async function dispatchExecution(
  ctx: Pick<ManagerContext, 'dispatcher'> & { db?: Db },
  id: string,
): Promise<void> {
  if (!ctx.dispatcher) return;
  try {
    await ctx.dispatcher.dispatch(id);
  } catch (e) {
    if (!ctx.db) throw e;
    await ctx.db.query(
      `UPDATE executions SET status = 'failed', error = $2, ended_at = now() WHERE id = $1 AND status = 'pending'`,
      [id, `Could not hand the execution to a worker: ${(e as Error).message}`],
    );
  }
}

/**
 * Promotes queued executions to pending in FIFO order (storage id), under the queue lock and with
 * the queued rows locked FOR UPDATE: at most one active per deployment, and the global cap.
 * Returns the promoted ids; the caller dispatches them (startQueuedExecutions does both).
 */
export async function dequeueExecutions(db: Db, config: ManagerConfig): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [QUEUE_LOCK]);
    const queued = await tx.query<{ _storage_id: number; id: string; _deployment_fk: number | null }>(
      "SELECT _storage_id, id, _deployment_fk FROM executions WHERE status = 'queued' ORDER BY _storage_id FOR UPDATE",
    );
    if (queued.length === 0) return [];
    const [{ n }] = await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM executions WHERE status = ANY($1::text[])',
      [ACTIVE],
    );
    let active = n;
    const cap = maxConcurrentWorkflows(config);
    const busyRows = await tx.query<{ d: number }>(
      'SELECT DISTINCT _deployment_fk AS d FROM executions WHERE status = ANY($1::text[]) AND _deployment_fk IS NOT NULL',
      [ACTIVE],
    );
    const busy = new Set(busyRows.map((r) => r.d));
    // A deployment whose oldest queued execution cannot start yet keeps its younger ones waiting too.
    const held = new Set<number>();
    const promoted: string[] = [];
    for (const q of queued) {
      if (active >= cap) break;
      if (q._deployment_fk !== null) {
        if (busy.has(q._deployment_fk) || held.has(q._deployment_fk)) {
          held.add(q._deployment_fk);
          continue;
        }
        busy.add(q._deployment_fk);
      }
      await tx.query("UPDATE executions SET status = 'pending' WHERE _storage_id = $1", [q._storage_id]);
      promoted.push(q.id);
      active++;
    }
    return promoted;
  });
}

/** dequeueExecutions, then dispatch each promoted execution. */
export async function startQueuedExecutions(
  ctx: Pick<ManagerContext, 'db' | 'config' | 'dispatcher'>,
): Promise<string[]> {
  const ids = await dequeueExecutions(ctx.db, ctx.config);
  for (const id of ids) await dispatchExecution(ctx, id);
  return ids;
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

/**
 * The worker's status report (PATCH /executions/{id}): validates the transition, stamps started_at /
 * ended_at, updates the deployment's status, removes the deployment when delete_deployment_environment
 * terminates (or fails with force), and on an END status dequeues and dispatches queued executions.
 * `tenantId` scopes the lookup (undefined = any tenant, for in-process callers).
 */
export async function updateExecutionStatus(
  ctx: Pick<ManagerContext, 'db' | 'config' | 'dispatcher'>,
  id: string,
  status: string,
  error?: string | null,
  tenantId?: number,
): Promise<StatusUpdateResult> {
  const result = await ctx.db.transaction(async (tx) => {
    const rows = await tx.query<{
      _storage_id: number;
      status: string;
      workflow_id: string;
      _deployment_fk: number | null;
      parameters: Record<string, unknown>;
    }>(
      `SELECT _storage_id, status, workflow_id, _deployment_fk, parameters FROM executions
       WHERE id = $1 AND ($2::int IS NULL OR _tenant_id = $2 OR visibility = 'global') FOR UPDATE`,
      [id, tenantId ?? null],
    );
    if (rows.length === 0) throw notFoundResource('Execution', id);
    const ex = rows[0];
    validateStatusUpdate(ex.workflow_id, ex.status, status);
    await tx.query(
      `UPDATE executions SET status = $2, error = coalesce($3, error),
         started_at = CASE WHEN $2 = 'started' THEN coalesce(started_at, now()) ELSE started_at END,
         ended_at = CASE WHEN $2 = ANY($4::text[]) THEN now() WHEN $2 = 'pending' THEN NULL ELSE ended_at END
       WHERE _storage_id = $1`,
      [ex._storage_id, status, error ?? null, sqlArray(['terminated', 'failed', 'cancelled'])],
    );
    let deploymentDeleted = false;
    if (ex._deployment_fk !== null && ex.status !== status) {
      if (status === 'started') {
        await tx.query(
          "UPDATE deployments SET deployment_status = 'in_progress', _latest_execution_fk = $2, updated_at = now() WHERE _storage_id = $1",
          [ex._deployment_fk, ex._storage_id],
        );
      } else if (isEnd(status)) {
        const force = ex.parameters?.force === true;
        if (
          ex.workflow_id === 'delete_deployment_environment' &&
          (status === 'terminated' || (status === 'failed' && force))
        ) {
          await tx.query('DELETE FROM deployments WHERE _storage_id = $1', [ex._deployment_fk]);
          deploymentDeleted = true;
        } else {
          await tx.query(
            'UPDATE deployments SET deployment_status = $2, updated_at = now() WHERE _storage_id = $1',
            [ex._deployment_fk, status === 'terminated' ? 'good' : 'requires_attention'],
          );
        }
      }
    }
    return { id, from: ex.status, status: status as ExecutionStatus, deploymentDeleted };
  });
  const dequeued = isEnd(status) && result.from !== status ? await startQueuedExecutions(ctx) : [];
  return { ...result, dequeued };
}

/** Would this execution start now (GET /executions/{id}/should-start)? */
export async function shouldStart(db: Db, config: ManagerConfig, storageId: number): Promise<boolean> {
  const [ex] = await db.query<{ _deployment_fk: number | null; status: string }>(
    'SELECT _deployment_fk, status FROM executions WHERE _storage_id = $1',
    [storageId],
  );
  if (!ex || isEnd(ex.status)) return false;
  if (ex._deployment_fk !== null) {
    const others = await db.query(
      'SELECT 1 FROM executions WHERE _deployment_fk = $1 AND _storage_id <> $2 AND status = ANY($3::text[]) LIMIT 1',
      [ex._deployment_fk, storageId, ACTIVE],
    );
    if (others.length) return false;
  }
  const [{ n }] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM executions WHERE _storage_id <> $1 AND status = ANY($2::text[])',
    [storageId, ACTIVE],
  );
  return n < maxConcurrentWorkflows(config);
}
