// Cloudify 5.1's manager-wide rows: the maintenance-mode state (one row while activating or activated),
// the config table (name, scope, value, schema) and the provider context.
import type { Db } from '../port.js';
import { jsonParam, ts } from './common.js';

export interface MaintenanceRow {
  status: 'activating' | 'activated';
  activated_at: string | null;
  activation_requested_at: string;
  requested_by: string | null;
}

const MAINTENANCE = `SELECT m.status, ${ts('m.activated_at')} AS activated_at,
  ${ts('m.activation_requested_at')} AS activation_requested_at, u.username AS requested_by
  FROM maintenance_mode m LEFT JOIN users u ON u.id = m._requested_by ORDER BY m.id LIMIT 1`;

export async function maintenanceState(db: Db): Promise<MaintenanceRow | undefined> {
  const [row] = await db.query<MaintenanceRow>(MAINTENANCE);
  return row;
}

/** Stores the state unless there is one already; returns the stored state and whether it was created. */
export async function startMaintenance(
  db: Db,
  status: MaintenanceRow['status'],
  userId: number,
): Promise<{ state: MaintenanceRow; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx.query('LOCK TABLE maintenance_mode IN EXCLUSIVE MODE');
    const existing = await maintenanceState(tx);
    if (existing) return { state: existing, created: false };
    await tx.query(
      `INSERT INTO maintenance_mode (status, activation_requested_at, activated_at, _requested_by)
       VALUES ($1, now(), CASE WHEN $1 = 'activated' THEN now() END, $2)`,
      [status, userId],
    );
    return { state: (await maintenanceState(tx))!, created: true };
  });
}

/** activating → activated (no execution runs any more); the state after. */
export async function completeMaintenance(db: Db): Promise<MaintenanceRow | undefined> {
  await db.query(
    "UPDATE maintenance_mode SET status = 'activated', activated_at = now() WHERE status = 'activating'",
  );
  return maintenanceState(db);
}

/** Removes the state; returns what it was, or undefined when maintenance mode was off. */
export async function endMaintenance(db: Db): Promise<MaintenanceRow | undefined> {
  return db.transaction(async (tx) => {
    const before = await maintenanceState(tx);
    await tx.query('DELETE FROM maintenance_mode');
    return before;
  });
}

export interface RunningExecution {
  id: string;
  status: string;
  deployment_id: string | null;
  workflow_id: string;
}

/** Every execution of every tenant not in an end state (what maintenance mode waits for). */
export function runningExecutions(db: Db, endStates: readonly string[]): Promise<RunningExecution[]> {
  return db.query<RunningExecution>(
    `SELECT e.id, e.status, d.id AS deployment_id, e.workflow_id FROM executions e
     LEFT JOIN deployments d ON d._storage_id = e._deployment_fk
     WHERE NOT (e.status = ANY($1::text[])) ORDER BY e._storage_id`,
    [`{${endStates.join(',')}}`],
  );
}

export interface ConfigRow {
  name: string;
  scope: string;
  value: unknown;
  schema: Record<string, unknown> | null;
  is_editable: boolean;
  updated_at: string | null;
  updater_name: string | null;
}

const CONFIG = `SELECT c.name, c.scope, c.value, c.schema, c.is_editable, ${ts('c.updated_at')} AS updated_at,
  u.username AS updater_name FROM config c LEFT JOIN users u ON u.id = c._updater_id`;

/** Config entries, optionally of one scope and/or one name, in scope then name order. */
export function configEntries(db: Db, filter: { scope?: string; name?: string } = {}): Promise<ConfigRow[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.scope !== undefined) where.push(`c.scope = $${params.push(filter.scope)}`);
  if (filter.name !== undefined) where.push(`c.name = $${params.push(filter.name)}`);
  return db.query<ConfigRow>(
    `${CONFIG} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.scope, c.name`,
    params,
  );
}

export async function setConfigValue(
  db: Db,
  entry: { name: string; scope: string },
  value: unknown,
  userId: number,
): Promise<void> {
  await db.query(
    `UPDATE config SET value = $3::text::jsonb, updated_at = now(), _updater_id = $4
     WHERE name = $1 AND scope = $2`,
    [entry.name, entry.scope, jsonParam(value), userId],
  );
}

export async function providerContext(
  db: Db,
): Promise<{ name: string; context: Record<string, unknown> } | undefined> {
  const [row] = await db.query<{ name: string; context: Record<string, unknown> }>(
    "SELECT name, context FROM provider_context WHERE id = 'CONTEXT'",
  );
  return row;
}
