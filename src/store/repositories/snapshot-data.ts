// What a snapshot holds of the database (decision 28): the rows a fresh manager needs to take over, table
// by table, parents first. Rows travel as row_to_json() objects and come back through
// json_populate_recordset(), so the same SQL runs on PGlite and PostgreSQL and every column (bytea as
// hex text, jsonb, timestamps) round-trips without a per-table field list.
import type { Db, Row } from '../port.js';
import { jsonParam } from './common.js';

/** Tables in insertion order (parents first), each with the key that orders its dump. */
export const SNAPSHOT_TABLES: readonly { name: string; key: string; optional?: 'events' | 'logs' }[] = [
  { name: 'tenants', key: 'id' },
  { name: 'roles', key: 'id' },
  { name: 'permissions', key: 'id' },
  { name: 'users', key: 'id' },
  { name: 'users_roles', key: 'user_id, role_id' },
  { name: 'users_tenants', key: 'user_id, tenant_id' },
  { name: 'licenses', key: 'id' },
  { name: 'sites', key: '_storage_id' },
  { name: 'secrets', key: '_storage_id' },
  { name: 'plugins', key: '_storage_id' },
  { name: 'plugin_chunks', key: '_plugin_fk, pos' },
  { name: 'blueprints', key: '_storage_id' },
  { name: 'blueprints_labels', key: 'id' },
  { name: 'blueprint_entries', key: '_blueprint_fk, area, path' },
  { name: 'blueprint_chunks', key: '_blueprint_fk, pos' },
  { name: 'deployments', key: '_storage_id' },
  { name: 'deployments_labels', key: 'id' },
  { name: 'nodes', key: '_storage_id' },
  { name: 'node_instances', key: '_storage_id' },
  { name: 'executions', key: '_storage_id' },
  { name: 'tasks_graphs', key: '_storage_id' },
  { name: 'operations', key: '_storage_id' },
  { name: 'events', key: '_storage_id', optional: 'events' },
  { name: 'logs', key: '_storage_id', optional: 'logs' },
];

const KNOWN = new Set(SNAPSHOT_TABLES.map((t) => t.name));
const PAGE = 200;

/**
 * Calls `onPage` with the rows of each table, `PAGE` at a time, all read in one repeatable-read
 * transaction so the dump is one consistent picture of the database.
 */
export async function dumpTables(
  db: Db,
  tables: readonly string[],
  onPage: (table: string, rows: Row[]) => Promise<void> | void,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    for (const t of SNAPSHOT_TABLES.filter((x) => tables.includes(x.name))) {
      for (let offset = 0; ; offset += PAGE) {
        const rows = await tx.query<{ j: string }>(
          `SELECT row_to_json(t)::text AS j FROM ${t.name} t ORDER BY ${t.key} LIMIT ${PAGE} OFFSET $1`,
          [offset],
        );
        if (rows.length === 0) break;
        await onPage(
          t.name,
          rows.map((r) => JSON.parse(r.j) as Row),
        );
        if (rows.length < PAGE) break;
      }
    }
  });
}

/** The bootstrap admin (id 0): the restore keeps the restoring manager's credentials for it. */
export async function bootstrapAdmin(tx: Db): Promise<{ username: string; password: string } | undefined> {
  const [row] = await tx.query<{ username: string; password: string }>(
    'SELECT username, password FROM users WHERE id = 0',
  );
  return row;
}

/** One row of `executions` as row_to_json() renders it. */
export async function executionJson(tx: Db, id: string): Promise<Row | undefined> {
  const [row] = await tx.query<{ j: string }>(
    'SELECT row_to_json(t)::text AS j FROM executions t WHERE id = $1',
    [id],
  );
  return row ? (JSON.parse(row.j) as Row) : undefined;
}

/** Deletes every snapshot table's rows, children first (tokens and cascades go with their users). */
export async function clearTables(tx: Db): Promise<void> {
  for (const t of [...SNAPSHOT_TABLES].reverse()) await tx.query(`DELETE FROM ${t.name}`);
}

/** Inserts rows of `table` as they were dumped (columns the rows lack take NULL). */
export async function insertRows(tx: Db, table: string, rows: Row[]): Promise<void> {
  if (!KNOWN.has(table)) throw new Error(`the archive holds an unknown table "${table}"`);
  for (let i = 0; i < rows.length; i += PAGE) {
    await tx.query(
      `INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::text::json)`,
      [jsonParam(rows.slice(i, i + PAGE))],
    );
  }
}

/** Moves each table's serial past the restored rows. */
export async function resetSequences(tx: Db): Promise<void> {
  const cols = await tx.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%' AND table_name = ANY($1::text[])`,
    [`{${SNAPSHOT_TABLES.map((t) => t.name).join(',')}}`],
  );
  for (const c of cols) {
    await tx.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${c.column_name}) FROM ${c.table_name}), 0) + 1, false)`,
      [c.table_name, c.column_name],
    );
  }
}

/**
 * Puts back the running restore execution (row_to_json form) under a fresh storage id, owned by the
 * restored bootstrap admin in default_tenant; gives the restoring manager's admin credentials back to
 * the restored admin; re-owns this manager's snapshots likewise.
 */
export async function reattach(
  tx: Db,
  current: Row,
  admin: { username: string; password: string } | undefined,
): Promise<void> {
  await tx.query(
    `INSERT INTO executions SELECT * FROM json_populate_record(NULL::executions, jsonb_set(jsonb_set(jsonb_set(
       jsonb_set($1::text::jsonb, '{_storage_id}', to_jsonb(nextval(pg_get_serial_sequence('executions', '_storage_id')))),
       '{_tenant_id}', '0'), '{_creator_id}', '0'), '{_deployment_fk}', 'null')::json)`,
    [jsonParam(current)],
  );
  if (admin)
    await tx.query('UPDATE users SET username = $1, password = $2 WHERE id = 0', [
      admin.username,
      admin.password,
    ]);
  await tx.query('UPDATE snapshots SET _tenant_id = 0, _creator_id = 0');
}

/** Whether the manager holds any blueprint (5.1's "non-empty manager"). */
export async function hasBlueprints(db: Db): Promise<boolean> {
  return (await db.query('SELECT 1 FROM blueprints LIMIT 1')).length > 0;
}

/** The schema version of this database (its last migration). */
export async function schemaVersion(db: Db): Promise<number> {
  const [row] = await db.query<{ v: number }>(
    'SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations',
  );
  return row?.v ?? 0;
}
