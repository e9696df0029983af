// The system workflows create_snapshot and restore_snapshot (decision 28). Cloudify's mgmtworker
// pg_dumps the database and zips it with the file server's files; our blueprint files and plugin wagons
// are rows already, so the archive is the rows (store/files/snapshot-archive.ts). Secret values go into
// the archive decrypted and are encrypted again with the restoring manager's key. The restore is one
// transaction: a failure leaves the manager as it was.
import type { Db, Row } from '../../store/port.js';
import {
  readSnapshotArchive as readArchiveRows,
  SnapshotArchiveWriter,
} from '../../store/files/snapshot-archive.js';
import type { ExecutionRow } from '../../store/repositories/executions.js';
import {
  bootstrapAdmin,
  clearTables,
  dumpTables,
  executionJson,
  hasBlueprints,
  insertRows,
  reattach,
  resetSequences,
  SNAPSHOT_TABLES,
  schemaVersion,
} from '../../store/repositories/snapshot-data.js';
import {
  readSnapshotArchive,
  setSnapshotStatus,
  snapshotMeta,
  storeSnapshotArchive,
} from '../../store/repositories/snapshots.js';
import type { SecretsCipher } from '../../store/secrets-crypto.js';

/** Says what the workflow does, as workflow events' messages. */
export type Say = (message: string) => void;

function requireCipher(c: SecretsCipher | undefined): SecretsCipher {
  if (!c) throw new Error('This worker has no secrets key; start it with the manager settings');
  return c;
}

export async function createSnapshot(
  db: Db,
  exec: ExecutionRow,
  cipher: SecretsCipher | undefined,
  say: Say,
) {
  const p = exec.parameters ?? {};
  const id = String(p.snapshot_id ?? '');
  const meta = await snapshotMeta(db, id);
  if (!meta) throw new Error(`Snapshot ${id} no longer exists`);
  try {
    const c = requireCipher(cipher);
    const tables = SNAPSHOT_TABLES.filter(
      (t) =>
        (t.optional !== 'events' || p.include_events !== false) &&
        (t.optional !== 'logs' || p.include_logs !== false),
    ).map((t) => t.name);
    const w = new SnapshotArchiveWriter();
    await dumpTables(db, tables, (table, rows) =>
      w.add(
        table,
        rows.map((r) => dumpRow(table, r, exec.id, c)),
      ),
    );
    const archive = w.finish({
      schema_version: await schemaVersion(db),
      snapshot_id: id,
      created_at: new Date().toISOString(),
      include_events: p.include_events !== false,
      include_logs: p.include_logs !== false,
      secrets: 'plain',
    });
    await storeSnapshotArchive(db, meta.sid, archive, 'created');
    say(
      `Snapshot ${id} created: ${archive.length} bytes, ${Object.values(w.tables).reduce((a, b) => a + b, 0)} rows`,
    );
  } catch (err) {
    await setSnapshotStatus(db, id, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  }
}

/** A row as the archive holds it: secrets in clear; executions idle (this one ended, no worker claims). */
function dumpRow(table: string, r: Row, selfId: string, c: SecretsCipher): Row {
  if (table === 'secrets') return { ...r, value: c.decrypt(String(r.value)) };
  if (table === 'executions') {
    const own = r.id === selfId;
    return {
      ...r,
      lease_owner: null,
      lease_until: null,
      ...(own ? { status: 'terminated', ended_at: new Date().toISOString() } : {}),
    };
  }
  return r;
}

/** Restores the snapshot over this manager's data, in one transaction. */
export async function restoreSnapshot(
  db: Db,
  exec: ExecutionRow,
  cipher: SecretsCipher | undefined,
  say: Say,
) {
  const p = exec.parameters ?? {};
  const id = String(p.snapshot_id ?? '');
  const meta = await snapshotMeta(db, id);
  if (!meta) throw new Error(`Snapshot ${id} no longer exists`);
  const c = requireCipher(cipher);
  const { metadata, pages } = readArchiveRows(await readSnapshotArchive(db, meta.sid));
  const ours = await schemaVersion(db);
  if (metadata.schema_version !== ours)
    throw new Error(
      `The snapshot was made with database schema ${metadata.schema_version} and this manager has ${ours}; restore it on a manager of the same Stratus version`,
    );
  if (await hasBlueprints(db)) {
    if (p.force !== true)
      throw new Error(
        'Snapshot restoration on a non-empty manager is not permitted. Pass the --force flag to force the restore and delete existing data from the manager',
      );
    say('Forcing snapshot restoration on a non-empty manager. Existing data will be deleted');
  }
  await db.transaction(async (tx) => {
    const admin = await bootstrapAdmin(tx);
    const current = await executionJson(tx, exec.id);
    if (!current) throw new Error(`Execution ${exec.id} no longer exists`);
    await clearTables(tx);
    for (const page of pages) {
      const rows =
        page.table === 'secrets'
          ? page.rows.map((r) => ({ ...r, value: c.encrypt(String(r.value)) }))
          : page.rows;
      await insertRows(tx, page.table, rows);
    }
    await resetSequences(tx);
    await reattach(tx, current, admin);
  });
  const n = Object.values(metadata.tables).reduce((a, b) => a + b, 0);
  say(`Snapshot ${id} restored: ${n} rows (made ${metadata.created_at})`);
}
