// Executions: the list/get field map, the visible-row lookup, and every statement of the execution
// lifecycle (src/executions). The queue statements run inside the caller's transaction, under the
// queue lock, so start/queue decisions and dequeues are serialised across every manager.
import { sha256 } from '../../common/tokens.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, sqlArray, ts } from './common.js';
import { getVisible, type ResourceDef, type Scope } from './list.js';

export const EXECUTIONS: ResourceDef = {
  kind: 'Execution',
  from: `${fromWithOwner('executions')} LEFT JOIN deployments d ON d._storage_id = t._deployment_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    workflow_id: { sql: 't.workflow_id' },
    blueprint_id: { sql: 't.blueprint_id' },
    deployment_id: { sql: 'd.id' },
    deployment_display_name: { sql: 'coalesce(d.display_name, d.id)' },
    status: { sql: 't.status' },
    status_display: { sql: "(CASE WHEN t.status = 'terminated' THEN 'completed' ELSE t.status END)" },
    error: { sql: 't.error' },
    parameters: json('t.parameters'),
    is_system_workflow: { sql: 't.is_system_workflow' },
    is_dry_run: { sql: 't.is_dry_run' },
    allow_custom_parameters: { sql: 't.allow_custom_parameters' },
    started_at: { sql: ts('t.started_at') },
    ended_at: { sql: ts('t.ended_at') },
    scheduled_for: { sql: ts('t.scheduled_for') },
    resume: { sql: 't.resume' },
    total_operations: { sql: 't.total_operations' },
    finished_operations: { sql: 't.finished_operations' },
    execution_group_id: { sql: 'NULL::text', filter: false },
  },
};

/** One execution as the API shows it (scoped to the caller's tenant), or 404. */
export function getExecution(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<Record<string, unknown> & { __storage_id: number }> {
  return getVisible(db, EXECUTIONS, scope, id, { include });
}

/** The columns the worker and the lifecycle work with. */
export interface ExecutionRow {
  _storage_id: number;
  id: string;
  workflow_id: string;
  status: string;
  parameters: Record<string, any>;
  _tenant_id: number;
  _creator_id: number;
  _deployment_fk: number | null;
  resume: boolean;
  blueprint_id: string | null;
}

const ROW = `_storage_id, id, workflow_id, status, parameters, _tenant_id, _creator_id, _deployment_fk, resume,
  blueprint_id`;

/** Any tenant's execution by id (the worker and the status PATCH scope it themselves). */
export async function loadExecution(db: Db, id: string): Promise<ExecutionRow | undefined> {
  const [row] = await db.query<ExecutionRow>(`SELECT ${ROW} FROM executions WHERE id = $1`, [id]);
  return row;
}

export async function executionStatus(db: Db, storageId: number): Promise<string | undefined> {
  const [row] = await db.query<{ status: string }>('SELECT status FROM executions WHERE _storage_id = $1', [
    storageId,
  ]);
  return row?.status;
}

/** Executions in one of `statuses`, oldest first. */
export function executionsIn(db: Db, statuses: readonly string[]): Promise<{ id: string; status: string }[]> {
  return db.query('SELECT id, status FROM executions WHERE status = ANY($1::text[]) ORDER BY _storage_id', [
    sqlArray(statuses),
  ]);
}

// ---- the queue (inside the caller's transaction) ----

/** One advisory lock serialises start/queue decisions and dequeues across every manager. */
const QUEUE_LOCK = 731_005_101;

export async function lockQueue(tx: Db): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [QUEUE_LOCK]);
}

/** The oldest execution of the deployment in one of `statuses`. */
export async function firstOfDeployment(
  tx: Db,
  deploymentFk: number,
  statuses: readonly string[],
): Promise<{ id: string; status: string } | undefined> {
  const [row] = await tx.query<{ id: string; status: string }>(
    'SELECT id, status FROM executions WHERE _deployment_fk = $1 AND status = ANY($2::text[]) ORDER BY _storage_id LIMIT 1',
    [deploymentFk, sqlArray(statuses)],
  );
  return row;
}

/** How many executions are in one of `statuses`, not counting `exceptStorageId`. */
export async function countIn(
  tx: Db,
  statuses: readonly string[],
  exceptStorageId?: number,
): Promise<number> {
  const [{ n }] = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM executions WHERE status = ANY($1::text[]) AND _storage_id <> $2',
    [sqlArray(statuses), exceptStorageId ?? -1],
  );
  return n;
}

/** The deployment and status of an execution, for queue decisions. */
export async function queueFacts(
  db: Db,
  storageId: number,
): Promise<{ _deployment_fk: number | null; status: string } | undefined> {
  const [row] = await db.query<{ _deployment_fk: number | null; status: string }>(
    'SELECT _deployment_fk, status FROM executions WHERE _storage_id = $1',
    [storageId],
  );
  return row;
}

/** Is another execution of the deployment in one of `statuses`? */
export async function deploymentHasOther(
  db: Db,
  deploymentFk: number,
  storageId: number,
  statuses: readonly string[],
): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM executions WHERE _deployment_fk = $1 AND _storage_id <> $2 AND status = ANY($3::text[]) LIMIT 1',
    [deploymentFk, storageId, sqlArray(statuses)],
  );
  return rows.length > 0;
}

/** Ids of the deployment's executions in one of `statuses`, oldest first (they block its deletion). */
export async function executionsOfDeployment(
  db: Db,
  storageId: number,
  statuses: readonly string[],
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    'SELECT id FROM executions WHERE _deployment_fk = $1 AND status = ANY($2::text[]) ORDER BY _storage_id',
    [storageId, sqlArray(statuses)],
  );
  return rows.map((r) => r.id);
}

/** Deployments with an execution in one of `statuses`. */
export async function deploymentsWith(tx: Db, statuses: readonly string[]): Promise<Set<number>> {
  const rows = await tx.query<{ d: number }>(
    'SELECT DISTINCT _deployment_fk AS d FROM executions WHERE status = ANY($1::text[]) AND _deployment_fk IS NOT NULL',
    [sqlArray(statuses)],
  );
  return new Set(rows.map((r) => r.d));
}

/** Queued executions, oldest first, locked until the transaction ends. */
export function lockQueued(
  tx: Db,
): Promise<{ _storage_id: number; id: string; _deployment_fk: number | null }[]> {
  return tx.query(
    "SELECT _storage_id, id, _deployment_fk FROM executions WHERE status = 'queued' ORDER BY _storage_id FOR UPDATE",
  );
}

export async function setQueuedPending(tx: Db, storageId: number): Promise<void> {
  await tx.query("UPDATE executions SET status = 'pending' WHERE _storage_id = $1", [storageId]);
}

export interface ExecutionInsert {
  id: string;
  visibility: string;
  tenantId: number;
  creatorId: number;
  deploymentFk: number | null;
  blueprintId: string | null;
  workflowId: string;
  status: string;
  parameters: Record<string, unknown>;
  isSystemWorkflow: boolean;
  isDryRun: boolean;
  allowCustomParameters: boolean;
  /** The raw execution token; only its sha256 is stored. */
  token: string;
}

/** Inserts the execution and makes it its deployment's latest. Returns the storage id. */
export async function insertExecution(tx: Db, e: ExecutionInsert): Promise<number> {
  const [row] = await tx.query<{ _storage_id: number }>(
    `INSERT INTO executions (id, visibility, _tenant_id, _creator_id, _deployment_fk, blueprint_id, workflow_id,
       status, parameters, is_system_workflow, is_dry_run, allow_custom_parameters, token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb, $10, $11, $12, $13) RETURNING _storage_id`,
    [
      e.id,
      e.visibility,
      e.tenantId,
      e.creatorId,
      e.deploymentFk,
      e.blueprintId,
      e.workflowId,
      e.status,
      JSON.stringify(e.parameters),
      e.isSystemWorkflow,
      e.isDryRun,
      e.allowCustomParameters,
      sha256(e.token),
    ],
  );
  if (e.deploymentFk !== null) {
    await tx.query('UPDATE deployments SET _latest_execution_fk = $2 WHERE _storage_id = $1', [
      e.deploymentFk,
      row._storage_id,
    ]);
  }
  return row._storage_id;
}

// ---- status changes ----

export interface LockedExecution {
  _storage_id: number;
  status: string;
  workflow_id: string;
  _deployment_fk: number | null;
  parameters: Record<string, unknown>;
}

/** The execution, locked for a status change; `tenantId` undefined = any tenant. */
export async function lockForStatusChange(
  tx: Db,
  id: string,
  tenantId?: number,
): Promise<LockedExecution | undefined> {
  const [row] = await tx.query<LockedExecution>(
    `SELECT _storage_id, status, workflow_id, _deployment_fk, parameters FROM executions
     WHERE id = $1 AND ($2::int IS NULL OR _tenant_id = $2 OR visibility = 'global') FOR UPDATE`,
    [id, tenantId ?? null],
  );
  return row;
}

/**
 * Writes a status reported by a worker: `started` stamps started_at once, an end status stamps
 * ended_at, `pending` clears it; `error` is kept unless a new one is given.
 */
export async function writeStatus(
  tx: Db,
  storageId: number,
  status: string,
  error: string | null,
  endStatuses: readonly string[],
): Promise<void> {
  await tx.query(
    `UPDATE executions SET status = $2, error = coalesce($3, error),
       started_at = CASE WHEN $2 = 'started' THEN coalesce(started_at, now()) ELSE started_at END,
       ended_at = CASE WHEN $2 = ANY($4::text[]) THEN now() WHEN $2 = 'pending' THEN NULL ELSE ended_at END
     WHERE _storage_id = $1`,
    [storageId, status, error, sqlArray(endStatuses)],
  );
}

/** A user's cancel or kill: the new status, and ended_at when it is `cancelled` at once. */
export async function writeCancel(db: Db, storageId: number, status: string): Promise<void> {
  await db.query(
    `UPDATE executions SET status = $2, ended_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE ended_at END
     WHERE _storage_id = $1`,
    [storageId, status],
  );
}

/**
 * The one resume reset (resource_manager.reset_operations): the execution is pending again with a
 * fresh token and no error, marked `resume`, and its failed and rescheduled operations run again
 * from retry 0. One transaction.
 */
export async function resetForResume(db: Db, storageId: number, token: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE executions SET status = 'pending', ended_at = NULL, resume = true, error = '', token = $2
       WHERE _storage_id = $1`,
      [storageId, sha256(token)],
    );
    await tx.query(
      `UPDATE operations o SET state = 'pending', parameters = o.parameters || '{"current_retries": 0}'::jsonb
       FROM tasks_graphs g
       WHERE g._storage_id = o._tasks_graph_fk AND g._execution_fk = $1 AND o.state IN ('failed', 'rescheduled')`,
      [storageId],
    );
  });
}

/** A worker picked up an execution that has a stored graph: it is a resume. */
export async function markResumed(db: Db, storageId: number): Promise<void> {
  await db.query('UPDATE executions SET resume = true WHERE _storage_id = $1', [storageId]);
}

/** A pending execution that could not reach a worker fails with the reason. */
export async function failUndispatched(db: Db, id: string, error: string): Promise<void> {
  await db.query(
    `UPDATE executions SET status = 'failed', error = $2, ended_at = now() WHERE id = $1 AND status = 'pending'`,
    [id, error],
  );
}

/** Stores the hash of a fresh execution token. False when the execution does not exist. */
export async function setToken(db: Db, id: string, token: string): Promise<boolean> {
  const rows = await db.query('UPDATE executions SET token = $2 WHERE id = $1 RETURNING id', [
    id,
    sha256(token),
  ]);
  return rows.length > 0;
}

// ---- the worker's message ----

export interface DispatchInfo {
  id: string;
  workflow_id: string;
  parameters: Record<string, unknown> | null;
  is_dry_run: boolean;
  is_system_workflow: boolean;
  resume: boolean;
  _creator_id: number;
  username: string;
  tenant: string;
  deployment_id: string | null;
  display_name: string | null;
  blueprint_id: string | null;
  runtime_only_evaluation: boolean | null;
}

/** What Cloudify's workflow message carries about an execution, its creator, tenant and deployment. */
export async function loadDispatchInfo(db: Db, id: string): Promise<DispatchInfo | undefined> {
  const [row] = await db.query<DispatchInfo>(
    `SELECT e.id, e.workflow_id, e.parameters, e.is_dry_run, e.is_system_workflow, e.resume, e._creator_id,
       u.username, t.name AS tenant, d.id AS deployment_id, d.display_name, e.blueprint_id,
       d.runtime_only_evaluation
     FROM executions e JOIN users u ON u.id = e._creator_id JOIN tenants t ON t.id = e._tenant_id
     LEFT JOIN deployments d ON d._storage_id = e._deployment_fk WHERE e.id = $1`,
    [id],
  );
  return row;
}

/** After a resume: finished_operations = operations already in an end state. */
export async function recountFinished(db: Db, storageId: number): Promise<void> {
  await db.query(
    `UPDATE executions SET finished_operations = (
       SELECT count(*) FROM operations o JOIN tasks_graphs g ON g._storage_id = o._tasks_graph_fk
       WHERE g._execution_fk = $1 AND o.state IN ('succeeded', 'failed'))
     WHERE _storage_id = $1`,
    [storageId],
  );
}

/** Executions per status across every tenant (the metrics scrape): one grouped scan of the status index. */
export async function countByStatus(db: Db): Promise<Map<string, number>> {
  const rows = await db.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM executions GROUP BY status',
  );
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}
