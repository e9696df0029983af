// Execution leases (migration 0005): one worker at a time runs an execution.
import type { Db } from '../port.js';
import { sqlArray } from './common.js';

/**
 * Claims the execution for `owner` for `ttlMs`: when it is free or already ours, or, with `lapsed`, when
 * its holder's claim is still exactly that lapsed one (the caller saw it lapsed and unchanged before).
 */
export async function claimExecution(
  db: Db,
  id: string,
  owner: string,
  ttlMs: number,
  lapsed?: string,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE executions SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond'
     WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2
       OR ($4::text IS NOT NULL AND lease_until < now() AND lease_until::text = $4::text)) RETURNING id`,
    [id, owner, ttlMs, lapsed ?? null],
  );
  return rows.length === 1;
}

export interface LeaseState {
  status: string;
  lease_owner: string | null;
  /** As the database wrote it (text keeps the microseconds). */
  lease_until: string | null;
  lapsed: boolean;
}

/**
 * Who holds the execution's claim, until when, and whether it lapsed. Read on the leader, as
 * lapsedLeases is: a replica's answer while nobody can write would show every claim lapsed.
 */
export async function leaseOf(db: Db, id: string): Promise<LeaseState | undefined> {
  const [row] = await db.transaction((tx) =>
    tx.query<LeaseState>(
      `SELECT status, lease_owner, lease_until::text AS lease_until, coalesce(lease_until < now(), false) AS lapsed
       FROM executions WHERE id = $1`,
      [id],
    ),
  );
  return row;
}

/** Extends `owner`'s claims on these executions; returns the ids it still held (and so renewed). */
export async function renewLeases(db: Db, ids: string[], owner: string, ttlMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.query<{ id: string }>(
    `UPDATE executions SET lease_until = now() + $3 * interval '1 millisecond'
     WHERE id = ANY($1::text[]) AND lease_owner = $2 RETURNING id`,
    [sqlArray(ids), owner, ttlMs],
  );
  return new Set(rows.map((r) => r.id));
}

export async function releaseLease(db: Db, id: string, owner: string): Promise<void> {
  await db.query(
    'UPDATE executions SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2',
    [id, owner],
  );
}

/** An active execution whose lease lapsed or was never taken; `lease_until` as the database wrote it. */
export interface LapsedLease {
  id: string;
  _storage_id: number;
  status: string;
  lease_until: string | null;
}

const SWEPT = ['started', 'cancelling', 'force_cancelling', 'kill_cancelling'];

/**
 * Active executions (past pending) that no worker holds: no lease, or one not renewed in time. Read on
 * the leader (a transaction): while there is none, a replica answers plain reads (decision 26), and a
 * lease that nobody could renew then says nothing about its owner.
 */
export async function lapsedLeases(db: Db): Promise<LapsedLease[]> {
  return db.transaction((tx) =>
    tx.query<LapsedLease>(
      `SELECT id, _storage_id, status, lease_until::text AS lease_until FROM executions
       WHERE status = ANY($1::text[]) AND (lease_until IS NULL OR lease_until < now())
       ORDER BY _storage_id LIMIT 100`,
      [sqlArray(SWEPT)],
    ),
  );
}

/**
 * Takes a lapsed lease over for `owner`, only if it is still the one the sweeper saw (no renewal
 * since) and the execution is still in `status`. Stamps swept_at. (The lease is compared as text: a
 * timestamp parameter would go through a JavaScript Date and lose its microseconds.)
 */
export async function takeOverLease(db: Db, l: LapsedLease, owner: string, ttlMs: number): Promise<boolean> {
  const rows = await db.query(
    `UPDATE executions SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond',
       swept_at = now()
     WHERE id = $1 AND status = $4 AND lease_until::text IS NOT DISTINCT FROM $5::text
       AND (lease_until IS NULL OR lease_until < now()) RETURNING id`,
    [l.id, owner, ttlMs, l.status, l.lease_until],
  );
  return rows.length === 1;
}
