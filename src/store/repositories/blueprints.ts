// Blueprints (rest-api.md §1.3): the list/get field map, the visible-row lookup, the upload states, and
// every statement on the blueprints and blueprints_labels tables (upload, internal PATCH, set-visibility,
// delete). Uploads of one id in one tenant are serialised by an advisory lock (lockBlueprintId).
import { dependentExists } from '../../common/errors.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, ts } from './common.js';
import { getVisible, type ResourceDef, type Scope, selectList } from './list.js';

/** Where an upload stands (Cloudify's BlueprintUploadState). */
export type BlueprintState =
  | 'pending'
  | 'uploading'
  | 'extracting'
  | 'parsing'
  | 'uploaded'
  | 'failed_uploading'
  | 'failed_extracting'
  | 'failed_parsing'
  | 'failed_extracting_to_file_server'
  | 'invalid'
  | 'validating';

/** The states of a failed upload: a new upload of the same id in the same tenant replaces the row. */
export const FAILED_STATES: readonly string[] = [
  'failed_uploading',
  'failed_extracting',
  'failed_parsing',
  'failed_extracting_to_file_server',
  'invalid',
];
export const ALL_STATES: readonly string[] = [
  'pending',
  'uploading',
  'extracting',
  'parsing',
  'uploaded',
  'validating',
  ...FAILED_STATES,
];

export type Visibility = 'private' | 'tenant' | 'global';

const labelsSql = `coalesce((SELECT json_agg(json_build_object('key', l.key, 'value', l.value,
  'created_at', ${ts('l.created_at')}, 'created_by', lu.username) ORDER BY l.id)
  FROM blueprints_labels l JOIN users lu ON lu.id = l._creator_id WHERE l._labeled_model_fk = t._storage_id), '[]'::json)`;

export const BLUEPRINTS: ResourceDef = {
  kind: 'Blueprint',
  from: fromWithOwner('blueprints'),
  tenantScoped: true,
  fields: {
    ...commonFields,
    updated_at: { sql: ts('t.updated_at') },
    main_file_name: { sql: 't.main_file_name' },
    plan: json('t.plan'),
    description: { sql: 't.description' },
    is_hidden: { sql: 't.is_hidden' },
    state: { sql: 't.state' },
    error: { sql: 't.error' },
    error_traceback: { sql: 't.error_traceback', filter: false },
    labels: json(labelsSql),
    upload_execution: json('NULL::json'),
    requirements: json('t.requirements'),
  },
};

/** What the routes need of a blueprint beyond what the API shows. */
export interface BlueprintMeta {
  storageId: number;
  tenantId: number;
  tenantName: string;
  /** The stored archive, relative to the file server root, once uploaded. */
  archivePath: string | null;
  /** The hash of the stored files (blueprint-files.ts); null before upload, or for files kept on disk only. */
  filesSha256: string | null;
  state: string;
  visibility: Visibility;
}

/**
 * The blueprint `scope` sees under `id`, as the API shows it (`include` fields, default all) with its
 * meta, or 404 Blueprint. The scope's own tenant's row comes before a global one of another tenant
 * with the same id (the internal PATCH can make such a pair).
 */
export async function getBlueprint(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<{ row: Record<string, unknown>; meta: BlueprintMeta }> {
  const row = await getVisible<Record<string, unknown>>(db, BLUEPRINTS, scope, id, {
    select: `${selectList(BLUEPRINTS, include)}, t._storage_id AS "__sid", t._tenant_id AS "__tid",
       tn.name AS "__tenant", t.archive_path AS "__archive",
       t.files_sha256 AS "__sha", t.state AS "__state", t.visibility AS "__vis"`,
  });
  const meta: BlueprintMeta = {
    storageId: row.__sid as number,
    tenantId: row.__tid as number,
    tenantName: row.__tenant as string,
    archivePath: row.__archive as string | null,
    filesSha256: row.__sha as string | null,
    state: row.__state as string,
    visibility: row.__vis as Visibility,
  };
  for (const k of Object.keys(row)) if (k.startsWith('__')) delete row[k];
  return { row, meta };
}

// ---- uploads ----

/** Serialise uploads of one id in one tenant (both drivers support advisory locks). */
export async function lockBlueprintId(tx: Db, tenantId: number, id: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [tenantId, `blueprint:${id}`]);
}

export interface IdHolder {
  _storage_id: number;
  _tenant_id: number;
  state: string;
}

/** The row that holds this id for this tenant (or a global one), if any; the tenant's own first. */
export async function findIdHolder(tx: Db, tenantId: number, id: string): Promise<IdHolder | undefined> {
  const rows = await tx.query<IdHolder>(
    `SELECT _storage_id, _tenant_id, state FROM blueprints
     WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')
     ORDER BY (_tenant_id = $2) DESC LIMIT 1`,
    [id, tenantId],
  );
  return rows[0];
}

/** Removes one blueprint row (its labels go with it through the foreign key). */
export async function deleteBlueprintRow(tx: Db, storageId: number): Promise<void> {
  await tx.query('DELETE FROM blueprints WHERE _storage_id = $1', [storageId]);
}

export interface NewBlueprint {
  id: string;
  visibility: Visibility;
  tenantId: number;
  creatorId: number;
  state: BlueprintState;
  mainFileName: string;
  error: string | null;
  errorTraceback: string | null;
  /** Stored as JSON; undefined is NULL. */
  requirements: unknown;
  labels: { key: string; value: string }[];
}

/** Inserts a blueprint row and its labels; returns its storage id. */
export async function insertBlueprint(tx: Db, b: NewBlueprint): Promise<number> {
  const [r] = await tx.query<{ _storage_id: number }>(
    `INSERT INTO blueprints (id, visibility, _tenant_id, _creator_id, state, main_file_name, error, error_traceback, requirements)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb) RETURNING _storage_id`,
    [
      b.id,
      b.visibility,
      b.tenantId,
      b.creatorId,
      b.state,
      b.mainFileName,
      b.error,
      b.errorTraceback,
      b.requirements === undefined ? null : JSON.stringify(b.requirements),
    ],
  );
  await replaceLabels(tx, r._storage_id, b.labels, b.creatorId);
  return r._storage_id;
}

/** Sets the blueprint's labels to `labels`, created by `creatorId`. */
async function replaceLabels(
  tx: Db,
  storageId: number,
  labels: { key: string; value: string }[],
  creatorId: number,
): Promise<void> {
  await tx.query('DELETE FROM blueprints_labels WHERE _labeled_model_fk = $1', [storageId]);
  for (const l of labels) {
    await tx.query(
      `INSERT INTO blueprints_labels (key, value, _labeled_model_fk, _creator_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [l.key, l.value, storageId, creatorId],
    );
  }
}

/** An async upload entered `state`. */
export async function setBlueprintState(db: Db, storageId: number, state: BlueprintState): Promise<void> {
  await db.query('UPDATE blueprints SET state = $2, updated_at = now() WHERE _storage_id = $1', [
    storageId,
    state,
  ]);
}

/** Locks row `storageId` for the rest of the transaction; false when it is gone (deleted meanwhile). */
export async function lockBlueprintRow(tx: Db, storageId: number): Promise<boolean> {
  const own = await tx.query('SELECT 1 FROM blueprints WHERE _storage_id = $1 FOR UPDATE', [storageId]);
  return own.length > 0;
}

/**
 * The upload succeeded: the row says `uploaded`, with the plan, the archive's file-server path and the
 * hash of its files (stored in the same transaction, blueprint-files.ts).
 */
export async function markUploaded(
  tx: Db,
  storageId: number,
  u: {
    plan: Record<string, unknown> | null;
    description: string | null;
    mainFile: string;
    archivePath: string;
    filesSha256: string;
  },
): Promise<void> {
  await tx.query(
    `UPDATE blueprints SET state = 'uploaded', plan = $2::text::json, description = $3, main_file_name = $4,
       archive_path = $5, files_sha256 = $6, error = NULL, error_traceback = NULL, updated_at = now()
     WHERE _storage_id = $1`,
    [
      storageId,
      u.plan === null ? null : JSON.stringify(u.plan),
      u.description,
      u.mainFile,
      u.archivePath,
      u.filesSha256,
    ],
  );
}

/** An async upload failed: the row keeps the failed state and the error. */
export async function markFailed(
  tx: Db,
  storageId: number,
  f: { state: BlueprintState; error: string; traceback: string | null },
): Promise<void> {
  await tx.query(
    'UPDATE blueprints SET state = $2, error = $3, error_traceback = $4, updated_at = now() WHERE _storage_id = $1',
    [storageId, f.state, f.error, f.traceback],
  );
}

// ---- the routes' changes ----

/** The columns the internal PATCH may set; JSON values are stored as given (null is NULL). */
export interface BlueprintPatch {
  plan?: unknown;
  description?: string | null;
  main_file_name?: string;
  state?: string;
  error?: string | null;
  error_traceback?: string | null;
  requirements?: unknown;
  visibility?: Visibility;
}

const JSON_COLUMNS = new Set(['plan', 'requirements']);
const PATCH_COLUMNS = [
  'plan',
  'description',
  'main_file_name',
  'state',
  'error',
  'error_traceback',
  'requirements',
  'visibility',
] as const;

/** Updates the given columns and, when `labels` is given, replaces the labels; in one transaction. */
export async function updateBlueprint(
  db: Db,
  storageId: number,
  patch: BlueprintPatch,
  labels: { labels: { key: string; value: string }[]; creatorId: number } | undefined,
): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [storageId];
  for (const col of PATCH_COLUMNS) {
    const v = patch[col];
    if (v === undefined) continue;
    const json = JSON_COLUMNS.has(col);
    params.push(json && v !== null ? JSON.stringify(v) : v);
    sets.push(`${col} = $${params.length}${json ? '::text::jsonb' : ''}`);
  }
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE blueprints SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE _storage_id = $1`,
      params,
    );
    if (labels) await replaceLabels(tx, storageId, labels.labels, labels.creatorId);
  });
}

/** True when a blueprint other than `storageId`, in any tenant, has this id. */
export async function idUsedElsewhere(db: Db, id: string, storageId: number): Promise<boolean> {
  const clash = await db.query('SELECT 1 FROM blueprints WHERE id = $1 AND _storage_id <> $2', [
    id,
    storageId,
  ]);
  return clash.length > 0;
}

export async function setBlueprintVisibility(
  db: Db,
  storageId: number,
  visibility: Visibility,
): Promise<void> {
  await db.query('UPDATE blueprints SET visibility = $2, updated_at = now() WHERE _storage_id = $1', [
    storageId,
    visibility,
  ]);
}

/**
 * Deletes the blueprint under its id lock, or 400 dependent_exists naming the deployments that use it.
 * Its stored files go with the row (foreign keys); the caller removes its local copies afterwards.
 */
export async function deleteBlueprint(db: Db, meta: BlueprintMeta, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await lockBlueprintId(tx, meta.tenantId, id);
    const deps = await tx.query<{ id: string }>(
      'SELECT id FROM deployments WHERE _blueprint_fk = $1 ORDER BY id',
      [meta.storageId],
    );
    if (deps.length) {
      throw dependentExists(
        `Can't delete blueprint ${id} - There exist deployments for this blueprint; Deployments ids: ${deps.map((d) => d.id).join(', ')}`,
      );
    }
    await deleteBlueprintRow(tx, meta.storageId);
  });
}
