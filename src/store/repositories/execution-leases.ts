// Execution leases (migration 0005): one worker at a time runs an execution.
import type { Db } from '../port.js';
import { sqlArray } from './common.js';

/** Claims the execution for `owner` for `ttlMs`: free, already ours, or its holder stopped renewing. */
export async function claimExecution(db: Db, id: string, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await db.query(
    `UPDATE executions SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond'
     WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now()) RETURNING id`,
    [id, owner, ttlMs],
  );
  return rows.length === 1;
}

/** Extends `owner`'s claims on these executions. */
export async function renewLeases(db: Db, ids: string[], owner: string, ttlMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE executions SET lease_until = now() + $3 * interval '1 millisecond'
     WHERE id = ANY($1::text[]) AND lease_owner = $2`,
    [sqlArray(ids), owner, ttlMs],
  );
}

export async function releaseLease(db: Db, id: string, owner: string): Promise<void> {
  await db.query(
    'UPDATE executions SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
    [id, owner],
  );
}
