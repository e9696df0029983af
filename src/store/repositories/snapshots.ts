// Snapshots (rest-api.md §1.9): the rows (status creating|created|failed|uploading|uploaded) and each
// one's archive, kept in chunks in the database so that every manager serves it (decision 18).
import type { Db } from '../port.js';
import { sqlArray, ts } from './common.js';
import { findVisible, type ResourceDef, type Scope } from './list.js';

export const SNAPSHOTS: ResourceDef = {
  kind: 'Snapshot',
  from: 'snapshots t LEFT JOIN tenants tn ON tn.id = t._tenant_id LEFT JOIN users cu ON cu.id = t._creator_id',
  tenantScoped: false,
  fields: {
    id: { sql: 't.id' },
    created_at: { sql: ts('t.created_at') },
    status: { sql: 't.status' },
    error: { sql: 't.error' },
    visibility: { sql: 't.visibility' },
    tenant_name: { sql: 'tn.name' },
    created_by: { sql: 'cu.username' },
    private_resource: { sql: "(t.visibility = 'private')" },
    resource_availability: { sql: 't.visibility' },
  },
};

export interface SnapshotRow extends Record<string, unknown> {
  id: string;
  status: string;
  __storage_id: number;
}

export const CHUNK_BYTES = 1024 * 1024;

export function findSnapshot(db: Db, scope: Scope, id: string): Promise<SnapshotRow | undefined> {
  return findVisible<SnapshotRow>(db, SNAPSHOTS, scope, id);
}

/** The snapshot's storage id, status and archive size, by id (the worker's lookup). */
export async function snapshotMeta(
  db: Db,
  id: string,
): Promise<{ sid: number; status: string; size: number } | undefined> {
  const [row] = await db.query<{ sid: number; status: string; size: number }>(
    'SELECT _storage_id AS sid, status, archive_size::float8 AS size FROM snapshots WHERE id = $1',
    [id],
  );
  return row;
}

/** Inserts a snapshot row; a taken id is a unique violation (409 conflict_error). */
export async function insertSnapshot(
  db: Db,
  s: { id: string; status: string; tenantId: number; creatorId: number },
): Promise<number> {
  const [row] = await db.query<{ sid: number }>(
    `INSERT INTO snapshots (id, status, _tenant_id, _creator_id) VALUES ($1, $2, $3, $4)
     RETURNING _storage_id AS sid`,
    [s.id, s.status, s.tenantId, s.creatorId],
  );
  return row!.sid;
}

export async function setSnapshotStatus(db: Db, id: string, status: string, error = ''): Promise<boolean> {
  const rows = await db.query('UPDATE snapshots SET status = $2, error = $3 WHERE id = $1 RETURNING 1', [
    id,
    status,
    error,
  ]);
  return rows.length > 0;
}

/** Replaces the archive of snapshot `sid` with `archive` and sets its status, in one transaction. */
export async function storeSnapshotArchive(
  db: Db,
  sid: number,
  archive: Buffer,
  status: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM snapshot_chunks WHERE _snapshot_fk = $1', [sid]);
    for (let pos = 0; pos < archive.length; pos += CHUNK_BYTES) {
      await tx.query(
        `INSERT INTO snapshot_chunks (_snapshot_fk, pos, data) VALUES ($1, $2, decode($3, 'base64'))`,
        [sid, pos, archive.subarray(pos, pos + CHUNK_BYTES).toString('base64')],
      );
    }
    await tx.query("UPDATE snapshots SET archive_size = $2, status = $3, error = '' WHERE _storage_id = $1", [
      sid,
      archive.length,
      status,
    ]);
  });
}

/** The whole archive of snapshot `sid`. */
export async function readSnapshotArchive(db: Db, sid: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let from = 0;
  for (;;) {
    const rows = await db.query<{ pos: number; data: string }>(
      `SELECT pos::float8 AS pos, encode(data, 'base64') AS data FROM snapshot_chunks
       WHERE _snapshot_fk = $1 AND pos >= $2 ORDER BY pos LIMIT 8`,
      [sid, from],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      const b = Buffer.from(r.data, 'base64');
      parts.push(b);
      from = r.pos + b.length;
    }
  }
  return Buffer.concat(parts);
}

export async function deleteSnapshot(db: Db, sid: number): Promise<void> {
  await db.query('DELETE FROM snapshots WHERE _storage_id = $1', [sid]);
}

/** Ids of the executions in one of `statuses`, of every tenant (5.1's system-wide check). */
export async function executionIdsIn(db: Db, statuses: readonly string[]): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    'SELECT id FROM executions WHERE status = ANY($1::text[]) ORDER BY _storage_id',
    [sqlArray(statuses)],
  );
  return rows.map((r) => r.id);
}

/** Whether a restore_snapshot execution is active (GET /snapshot-status). */
export async function restoreRunning(db: Db): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM executions WHERE workflow_id = 'restore_snapshot'
     AND status IN ('pending', 'started', 'cancelling', 'force_cancelling', 'kill_cancelling') LIMIT 1`,
  );
  return rows.length > 0;
}
