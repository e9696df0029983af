// Plugins (rest-api.md §1.8, migration 0007): the list/get field map, the visible-row lookup, the insert of
// an upload (row + wagon chunks in one transaction), the wagon's chunks, the candidates of a blueprint's
// `plugin:` import, the blueprints in use that name a package, and the delete.
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, jsonParam, ts } from './common.js';
import { getVisible, type ResourceDef, type Scope, scopeSql } from './list.js';

export type PluginVisibility = 'private' | 'tenant' | 'global';

const { created_at: _created, ...owner } = commonFields;

/** `/resources/plugins/<id>/<yaml>`, or '' when the upload had no YAML (Cloudify's file_server_path). */
const FILE_SERVER_PATH = `CASE WHEN t.yaml_file_name IS NULL THEN ''
  ELSE '/resources/plugins/' || t.id || '/' || t.yaml_file_name END`;

export const PLUGINS: ResourceDef = {
  kind: 'Plugin',
  from: fromWithOwner('plugins'),
  tenantScoped: true,
  fields: {
    ...owner,
    package_name: { sql: 't.package_name' },
    package_version: { sql: 't.package_version' },
    archive_name: { sql: 't.archive_name' },
    package_source: { sql: 't.package_source' },
    supported_platform: { sql: 't.supported_platform' },
    distribution: { sql: 't.distribution' },
    distribution_version: { sql: 't.distribution_version' },
    distribution_release: { sql: 't.distribution_release' },
    wheels: json('t.wheels'),
    excluded_wheels: json('t.excluded_wheels'),
    supported_py_versions: json('t.supported_py_versions'),
    uploaded_at: { sql: ts('t.uploaded_at') },
    title: { sql: 't.title' },
    // Stratus installs no plugin on managers or agents: the state is always empty.
    installation_state: { sql: `'[]'::jsonb`, filter: false },
    file_server_path: { sql: FILE_SERVER_PATH, filter: false },
    // Python renders a missing distribution as None in this string.
    yaml_url_path: {
      sql: `CASE WHEN t.yaml_file_name IS NULL THEN '' ELSE 'plugin:' || t.package_name || '?version='
        || coalesce(t.package_version, 'None') || '&distribution=' || coalesce(t.distribution, 'None') END`,
      filter: false,
    },
  },
};

/** What an upload stores: the wagon's package.json metadata plus the YAML. */
export interface NewPlugin {
  id: string;
  tenantId: number;
  creatorId: number;
  visibility: PluginVisibility;
  title: string;
  package_name: string;
  package_version: string;
  archive_name: string;
  package_source: string | null;
  supported_platform: string | null;
  distribution: string | null;
  distribution_version: string | null;
  distribution_release: string | null;
  wheels: unknown;
  excluded_wheels: unknown;
  supported_py_versions: unknown;
  yaml: { name: string; text: string } | null;
  icon: Buffer | null;
  wagon: { size: number; sha256: string };
}

/** The columns the routes need besides the API fields. */
export interface PluginMeta {
  storageId: number;
  id: string;
  tenantId: number;
  tenantName: string;
  visibility: PluginVisibility;
  creatorId: number;
  packageName: string;
  packageVersion: string;
  archiveName: string;
  wagonSize: number;
  wagonSha256: string | null;
}

const META = `t._storage_id AS "storageId", t.id, t._tenant_id AS "tenantId", tn.name AS "tenantName", t.visibility,
  t._creator_id AS "creatorId", t.package_name AS "packageName", t.package_version AS "packageVersion",
  t.archive_name AS "archiveName", t.wagon_size::float8 AS "wagonSize", t.wagon_sha256 AS "wagonSha256"`;

/** Plugin `id` as `scope` may see it, or 404 "Requested `Plugin` with ID `id` was not found". */
export function getPluginMeta(db: Db, scope: Scope, id: string): Promise<PluginMeta> {
  return getVisible<PluginMeta>(db, PLUGINS, scope, id, { select: META });
}

/**
 * Whether the tenant (or a global plugin) already has this package's archive: Cloudify refuses a second
 * upload of the same archive name for the same package.
 */
export async function archiveTaken(db: Db, scope: Scope, packageName: string, archiveName: string) {
  const params: unknown[] = [];
  const where = scopeSql(PLUGINS, scope, params);
  params.push(packageName, archiveName);
  const rows = await db.query(
    `SELECT 1 FROM plugins t WHERE ${where.join(' AND ')} AND t.package_name = $${params.length - 1}
     AND t.archive_name = $${params.length}`,
    params,
  );
  return rows.length > 0;
}

/** Inserts the row, then the wagon in chunks (`chunks` yields them in order), in one transaction. */
export async function insertPlugin(db: Db, p: NewPlugin, chunks: AsyncIterable<Buffer>): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ sid: number }>(
      `INSERT INTO plugins (id, visibility, _tenant_id, _creator_id, package_name, package_version,
         archive_name, package_source, supported_platform, distribution, distribution_version,
         distribution_release, wheels, excluded_wheels, supported_py_versions, title, yaml_file_name,
         yaml_text, wagon_size, wagon_sha256, icon)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text::jsonb, $14::text::jsonb,
         $15::text::jsonb, $16, $17, $18, $19, $20, decode($21, 'base64'))
       RETURNING _storage_id AS sid`,
      [
        p.id,
        p.visibility,
        p.tenantId,
        p.creatorId,
        p.package_name,
        p.package_version,
        p.archive_name,
        p.package_source,
        p.supported_platform,
        p.distribution,
        p.distribution_version,
        p.distribution_release,
        jsonParam(p.wheels ?? []),
        jsonParam(p.excluded_wheels),
        jsonParam(p.supported_py_versions),
        p.title,
        p.yaml?.name ?? null,
        p.yaml?.text ?? null,
        p.wagon.size,
        p.wagon.sha256,
        p.icon?.toString('base64') ?? null,
      ],
    );
    let pos = 0;
    for await (const chunk of chunks) {
      await tx.query(
        `INSERT INTO plugin_chunks (_plugin_fk, pos, data) VALUES ($1, $2, decode($3, 'base64'))`,
        [row.sid, pos, chunk.toString('base64')],
      );
      pos += chunk.length;
    }
  });
}

/** Up to `limit` chunks of a wagon from byte `from` (a chunk start), in order; data is base64. */
export function readWagonChunks(
  db: Db,
  storageId: number,
  from: number,
  limit: number,
): Promise<{ pos: number; data: string }[]> {
  return db.query<{ pos: number; data: string }>(
    `SELECT pos::float8 AS pos, encode(data, 'base64') AS data FROM plugin_chunks
     WHERE _plugin_fk = $1 AND pos >= $2 ORDER BY pos LIMIT $3`,
    [storageId, from, limit],
  );
}

/** A plugin a `plugin:<name>` import may resolve to. */
export interface PluginCandidate {
  id: string;
  package_name: string;
  package_version: string;
  distribution: string | null;
  yaml_file_name: string | null;
  yaml_text: string | null;
}

/** Every plugin `scope` may see (its tenant's and global ones), with their YAML, by package name. */
export function pluginCandidates(db: Db, scope: Scope): Promise<PluginCandidate[]> {
  const params: unknown[] = [];
  const where = scopeSql(PLUGINS, scope, params);
  return db.query<PluginCandidate>(
    `SELECT t.id, t.package_name, t.package_version, t.distribution, t.yaml_file_name, t.yaml_text
     FROM plugins t WHERE ${where.join(' AND ')} ORDER BY t._storage_id`,
    params,
  );
}

/**
 * Blueprints with deployments, visible to `scope`, whose plan installs this package version (Cloudify's
 * remove_plugin check: the deployment, workflow and host-agent plugin lists of the plan).
 */
export async function blueprintsUsing(
  db: Db,
  scope: Scope,
  packageName: string,
  packageVersion: string,
): Promise<string[]> {
  const params: unknown[] = [];
  const where = scopeSql({ ...PLUGINS, from: 'blueprints t' }, scope, params);
  params.push(packageName, packageVersion);
  const n = params.length;
  const rows = await db.query<{ id: string }>(
    `SELECT DISTINCT t.id FROM blueprints t
     WHERE ${where.join(' AND ')} AND t.plan IS NOT NULL
       AND EXISTS (SELECT 1 FROM deployments d WHERE d._blueprint_fk = t._storage_id)
       AND EXISTS (
         SELECT 1 FROM jsonb_array_elements(
           coalesce(t.plan::jsonb->'deployment_plugins_to_install', '[]'::jsonb)
           || coalesce(t.plan::jsonb->'workflow_plugins_to_install', '[]'::jsonb)
           || coalesce(t.plan::jsonb->'host_agent_plugins_to_install', '[]'::jsonb)) p
         WHERE p->>'package_name' = $${n - 1} AND p->>'package_version' = $${n})
     ORDER BY t.id`,
    params,
  );
  return rows.map((r) => r.id);
}

/** What a manager needs to write its copy of a plugin's files (any tenant: the file server's paths). */
export interface PluginFiles extends PluginMeta {
  yamlName: string | null;
  yamlText: string | null;
  /** base64 */
  icon: string | null;
}

export async function pluginFiles(db: Db, id: string): Promise<PluginFiles | undefined> {
  const [row] = await db.query<PluginFiles>(
    `SELECT ${META}, t.yaml_file_name AS "yamlName", t.yaml_text AS "yamlText",
       encode(t.icon, 'base64') AS icon FROM plugins t JOIN tenants tn ON tn.id = t._tenant_id WHERE t.id = $1`,
    [id],
  );
  return row;
}

/** How many plugins, in all tenants, have this package's archive (a global one must be the only one). */
export async function archiveCount(db: Db, packageName: string, archiveName: string): Promise<number> {
  const [r] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM plugins WHERE package_name = $1 AND archive_name = $2',
    [packageName, archiveName],
  );
  return r.n;
}

export async function setPluginVisibility(db: Db, storageId: number, v: PluginVisibility): Promise<void> {
  await db.query('UPDATE plugins SET visibility = $2 WHERE _storage_id = $1', [storageId, v]);
}

/** Deletes the row; its chunks go with it. */
export async function deletePlugin(db: Db, storageId: number): Promise<void> {
  await db.query('DELETE FROM plugins WHERE _storage_id = $1', [storageId]);
}
