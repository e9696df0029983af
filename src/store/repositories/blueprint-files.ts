// Blueprint files (migration 0003): each blueprint's pack (the uploaded archive, then the extracted
// folder) in chunks, its entries (ranges of the pack), and the lookups that find a blueprint's files
// by file-server path, by deployment, and for the local caches' sweep. Bytes cross both drivers as
// base64 text, decoded and encoded by the server: PGlite's own bytea conversion builds one string per
// byte in JavaScript and is ten times slower (measured: 50 MB in ~12 s instead of ~1.2 s).
import type { Db } from '../port.js';

export type FilesArea = 'archive' | 'folder';

export interface PackEntry {
  area: FilesArea;
  /** Relative to the area: the archive's file name, or a path inside the extracted folder. */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Permission bits. */
  mode: number;
  /** The file's bytes are pack[pos, pos + size). */
  pos: number;
  size: number;
  link_target: string | null;
}

/** What names a blueprint's stored files, and the local cache entries made of them. */
export interface FilesKey {
  storageId: number;
  /** The hash of the pack and its entries (a re-upload under the same id has another). */
  sha256: string;
}

export async function insertChunk(tx: Db, storageId: number, pos: number, data: Buffer): Promise<void> {
  await tx.query(
    `INSERT INTO blueprint_chunks (_blueprint_fk, pos, data) VALUES ($1, $2, decode($3, 'base64'))`,
    [storageId, pos, data.toString('base64')],
  );
}

/** Inserts every entry in one statement (a blueprint has at most blueprintMaxFiles of them). */
export async function insertEntries(tx: Db, storageId: number, entries: PackEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `INSERT INTO blueprint_entries (_blueprint_fk, area, path, kind, mode, pos, size, link_target)
     SELECT $1, x.area, x.path, x.kind, x.mode, x.pos, x.size, x.link_target
     FROM json_to_recordset($2::text::json)
       AS x(area text, path text, kind text, mode integer, pos bigint, size bigint, link_target text)`,
    [storageId, JSON.stringify(entries)],
  );
}

/** The entries of one area, by path (a directory comes before what it holds). */
export async function loadEntries(db: Db, storageId: number, area: FilesArea): Promise<PackEntry[]> {
  return db.query<PackEntry>(
    `SELECT area, path, kind, mode, pos::float8 AS pos, size::float8 AS size, link_target
     FROM blueprint_entries WHERE _blueprint_fk = $1 AND area = $2 ORDER BY path COLLATE "C"`,
    [storageId, area],
  );
}

/**
 * Up to `limit` chunks of the pack from the one that holds byte `from`, up to byte `to` (exclusive),
 * in order; their data is base64.
 */
export async function readChunks(
  db: Db,
  storageId: number,
  from: number,
  to: number,
  limit: number,
): Promise<{ pos: number; data: string }[]> {
  return db.query<{ pos: number; data: string }>(
    `SELECT pos::float8 AS pos, encode(data, 'base64') AS data FROM blueprint_chunks
     WHERE _blueprint_fk = $1 AND pos < $3 AND pos >= (
       SELECT coalesce(max(pos), 0) FROM blueprint_chunks WHERE _blueprint_fk = $1 AND pos <= $2)
     ORDER BY pos LIMIT $4`,
    [storageId, from, to, limit],
  );
}

/** Records the hash of the files just stored for a blueprint uploaded before they were kept here. */
export async function setFilesSha256(tx: Db, storageId: number, sha256: string): Promise<void> {
  await tx.query('UPDATE blueprints SET files_sha256 = $2 WHERE _storage_id = $1', [storageId, sha256]);
}

export interface StoredFiles {
  storageId: number;
  /** NULL: the files are only on the disk of the manager that took the upload (before migration 0003). */
  filesSha256: string | null;
  tenantName: string;
  id: string;
  /** uploaded-blueprints/<tenant>/<id>/<id>.<ext> */
  archivePath: string | null;
}

const STORED = `b._storage_id AS "storageId", b.files_sha256 AS "filesSha256", tn.name AS "tenantName",
  b.id, b.archive_path AS "archivePath"`;

/** The uploaded blueprint the file server's blueprints/<tenant>/<id> paths name, if any. */
export async function filesOfPath(db: Db, tenantName: string, id: string): Promise<StoredFiles | undefined> {
  const rows = await db.query<StoredFiles>(
    `SELECT ${STORED} FROM blueprints b JOIN tenants tn ON tn.id = b._tenant_id
     WHERE tn.name = $1 AND b.id = $2 AND b.state = 'uploaded'`,
    [tenantName, id],
  );
  return rows[0];
}

/** The ids of a tenant's uploaded blueprints (the file server's listing of blueprints/<tenant>/). */
export async function uploadedIdsOfTenant(db: Db, tenantName: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT b.id FROM blueprints b JOIN tenants tn ON tn.id = b._tenant_id
     WHERE tn.name = $1 AND b.state = 'uploaded' ORDER BY b.id COLLATE "C"`,
    [tenantName],
  );
  return rows.map((r) => r.id);
}

/** The files of a deployment's blueprint (the worker's scripts and resources). */
export async function filesOfDeployment(
  db: Db,
  deploymentStorageId: number,
): Promise<StoredFiles | undefined> {
  const rows = await db.query<StoredFiles>(
    `SELECT ${STORED} FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk
       JOIN tenants tn ON tn.id = b._tenant_id
     WHERE d._storage_id = $1`,
    [deploymentStorageId],
  );
  return rows[0];
}

/** Every blueprint whose files are stored: what a local cache may keep. */
export async function storedFilesKeys(db: Db): Promise<FilesKey[]> {
  return db.query<FilesKey>(
    'SELECT _storage_id AS "storageId", files_sha256 AS sha256 FROM blueprints WHERE files_sha256 IS NOT NULL',
  );
}

/** Uploaded blueprints whose files are not stored yet (uploaded before migration 0003). */
export async function unstoredBlueprints(db: Db): Promise<StoredFiles[]> {
  return db.query<StoredFiles>(
    `SELECT ${STORED} FROM blueprints b JOIN tenants tn ON tn.id = b._tenant_id
     WHERE b.state = 'uploaded' AND b.files_sha256 IS NULL ORDER BY b._storage_id`,
  );
}

/** Locks an unstored blueprint for its import; false when it is gone or stored meanwhile. */
export async function lockUnstored(tx: Db, storageId: number): Promise<boolean> {
  const rows = await tx.query(
    'SELECT 1 FROM blueprints WHERE _storage_id = $1 AND files_sha256 IS NULL FOR UPDATE',
    [storageId],
  );
  return rows.length > 0;
}
