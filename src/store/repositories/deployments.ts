// Deployments: the list/get field map, the visible-row lookups, creation and attribute updates (with
// labels), the status its executions set, and the plan the worker writes and reads.
import type { Db } from '../port.js';
import {
  getVisible,
  type ListResult,
  listResources,
  type PageLimits,
  type ResourceDef,
  type Scope,
} from './list.js';
import { commonFields, fromWithOwner, json, ts } from './common.js';
import type { Owner } from './nodes.js';

const INSTANCES_OF = `FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk WHERE n._deployment_fk = t._storage_id`;

export const DEPLOYMENTS: ResourceDef = {
  kind: 'Deployment',
  from: `${fromWithOwner('deployments')} JOIN blueprints b ON b._storage_id = t._blueprint_fk
    LEFT JOIN executions le ON le._storage_id = t._latest_execution_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    updated_at: { sql: ts('t.updated_at') },
    blueprint_id: { sql: 'b.id' },
    display_name: { sql: 'coalesce(t.display_name, t.id)' },
    description: { sql: 't.description' },
    inputs: json('t.inputs'),
    outputs: json('t.outputs'),
    capabilities: json('t.capabilities'),
    groups: json('t.groups'),
    policy_triggers: json('t.policy_triggers'),
    policy_types: json('t.policy_types'),
    scaling_groups: json('t.scaling_groups'),
    workflows: json('t.workflows'),
    resource_tags: json('t.resource_tags'),
    labels: json(
      `coalesce((SELECT jsonb_agg(jsonb_build_object('key', l.key, 'value', l.value, 'created_at', ${ts('l.created_at')},
        'created_by', lu.username) ORDER BY l.id) FROM deployments_labels l JOIN users lu ON lu.id = l._creator_id
        WHERE l._labeled_model_fk = t._storage_id), '[]'::jsonb)`,
    ),
    site_name: { sql: 't.site_name' },
    runtime_only_evaluation: { sql: 't.runtime_only_evaluation' },
    installation_status: {
      sql: `(CASE WHEN EXISTS (SELECT 1 ${INSTANCES_OF}) AND NOT EXISTS (SELECT 1 ${INSTANCES_OF} AND ni.state <> 'started')
        THEN 'active' ELSE 'inactive' END)`,
    },
    deployment_status: { sql: "coalesce(t.deployment_status, 'good')" },
    latest_execution_id: { sql: 'le.id' },
    latest_execution_status: { sql: 'le.status' },
    latest_execution_total_operations: { sql: 'le.total_operations', filter: false },
    latest_execution_finished_operations: { sql: 'le.finished_operations', filter: false },
    sub_services_status: { sql: 'NULL::text', filter: false },
    sub_environments_status: { sql: 'NULL::text', filter: false },
    sub_services_count: { sql: '0', filter: false },
    sub_environments_count: { sql: '0', filter: false },
    environment_type: { sql: "''::text", filter: false },
  },
};

/** The stored workflows map rendered as Cloudify's list of {name, plugin, operation, parameters, …}. */
export function workflowList(w: unknown): Record<string, unknown>[] {
  if (Array.isArray(w)) return w as Record<string, unknown>[];
  if (!w || typeof w !== 'object') return [];
  // jsonb does not keep key order: list the workflows by name.
  return Object.entries(w as Record<string, Record<string, unknown>>)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, v]) => ({
      name,
      created_at: null,
      plugin: v?.plugin ?? null,
      operation: v?.operation ?? null,
      parameters: v?.parameters ?? {},
      is_cascading: v?.is_cascading ?? false,
      is_available: true,
    }));
}

export function renderDeployment(row: Record<string, unknown>): Record<string, unknown> {
  const { __storage_id: _, ...rest } = row;
  if ('workflows' in rest) rest.workflows = workflowList(rest.workflows);
  return rest;
}

export interface DeploymentRow {
  _storage_id: number;
  id: string;
  _tenant_id: number;
  visibility: string;
  blueprint_id: string;
  workflows: Record<string, { parameters?: Record<string, unknown>; [k: string]: unknown }>;
  outputs: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  display_name: string | null;
}

/** The deployments list (rest-api.md §3.1); `_search_name` matches a substring of the display name. */
export async function listDeployments(
  db: Db,
  limits: PageLimits,
  scope: Scope,
  query: Record<string, unknown>,
): Promise<ListResult<Record<string, unknown>>> {
  const where: { sql: string; params: unknown[] }[] = [];
  if (typeof query._search_name === 'string') {
    where.push({
      sql: 'coalesce(t.display_name, t.id) ILIKE $1',
      params: [`%${query._search_name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
    });
  }
  const r = await listResources(db, limits, DEPLOYMENTS, { query, scope, where });
  return { ...r, items: r.items.map(renderDeployment) };
}

/** The raw deployment row (scoped), or 404 Deployment. */
export function findDeployment(db: Db, scope: Scope, id: string, forUpdate = false): Promise<DeploymentRow> {
  return getVisible<DeploymentRow>(db, DEPLOYMENTS, scope, id, {
    select: `t._storage_id, t.id, t._tenant_id, t.visibility, b.id AS blueprint_id, t.workflows, t.outputs,
       t.capabilities, t.display_name`,
    from: 'deployments t JOIN blueprints b ON b._storage_id = t._blueprint_fk',
    forUpdate,
  });
}

/** A deployment as the API shows it. */
export async function getDeploymentView(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<Record<string, unknown>> {
  return renderDeployment(await getVisible(db, DEPLOYMENTS, scope, id, { include }));
}

// ---- creation, attribute updates and deletion checks (the REST routes) ----

/** Blueprint rows as deployment creation looks them up (kind for the 404 message). */
const BLUEPRINT_ROWS: ResourceDef = {
  kind: 'Blueprint',
  from: 'blueprints t',
  tenantScoped: true,
  fields: {},
};

export interface BlueprintForDeployment {
  _storage_id: number;
  id: string;
  state: string;
  plan: Record<string, unknown> | null;
}

/** The blueprint a deployment is created from, as `scope` may see it, or 404 Blueprint. */
export function findBlueprintForDeployment(
  db: Db,
  scope: Scope,
  id: string,
): Promise<BlueprintForDeployment> {
  return getVisible<BlueprintForDeployment>(db, BLUEPRINT_ROWS, scope, id, {
    select: 't._storage_id, t.id, t.state, t.plan',
  });
}

/** Does the tenant already have a deployment with this id? */
export async function deploymentExists(db: Db, tenantId: number, id: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM deployments WHERE id = $1 AND _tenant_id = $2', [id, tenantId]);
  return rows.length > 0;
}

export interface Label {
  key: string;
  value: string;
}

export interface DeploymentInsert extends Owner {
  id: string;
  blueprintFk: number;
  /** The blueprint's plan: its description and sections are copied until the worker rewrites them. */
  plan: Record<string, unknown> | undefined;
  displayName: string | null;
  inputs: Record<string, unknown>;
  runtimeOnlyEvaluation: boolean;
  siteName: string | null;
  labels: Label[];
}

/** The plan's sections a deployment keeps, as JSON columns of the same names. */
const SECTIONS = [
  'workflows',
  'groups',
  'policy_types',
  'policy_triggers',
  'scaling_groups',
  'outputs',
  'capabilities',
] as const;

/** Inserts the deployment (in progress) and its labels; returns its storage id. */
export async function insertDeployment(tx: Db, d: DeploymentInsert): Promise<number> {
  const [dep] = await tx.query<{ _storage_id: number }>(
    `INSERT INTO deployments (id, visibility, _tenant_id, _creator_id, _blueprint_fk, description, display_name,
       runtime_only_evaluation, site_name, inputs, workflows, groups, policy_types, policy_triggers, scaling_groups,
       outputs, capabilities, deployment_status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::json, $11::text::jsonb, $12::text::jsonb,
       $13::text::jsonb, $14::text::jsonb, $15::text::jsonb, $16::text::json, $17::text::json, 'in_progress')
     RETURNING _storage_id`,
    [
      d.id,
      d.visibility,
      d.tenantId,
      d.creatorId,
      d.blueprintFk,
      (d.plan?.description as string | undefined) ?? null,
      d.displayName,
      d.runtimeOnlyEvaluation,
      d.siteName,
      JSON.stringify(d.inputs),
      ...SECTIONS.map((k) => JSON.stringify(d.plan?.[k] ?? {})),
    ],
  );
  await insertLabels(tx, dep._storage_id, d.creatorId, d.labels);
  return dep._storage_id;
}

async function insertLabels(tx: Db, depFk: number, creatorId: number, labels: Label[]): Promise<void> {
  for (const l of labels) {
    await tx.query(
      `INSERT INTO deployments_labels (key, value, _labeled_model_fk, _creator_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key, value, _labeled_model_fk) DO NOTHING`,
      [l.key, l.value, depFk, creatorId],
    );
  }
}

const JSON_COLUMNS = [...SECTIONS, 'inputs', 'resource_tags'] as const;

/** Attributes to set; undefined leaves one as it is, null clears it. */
export type DeploymentPatch = Partial<Record<(typeof JSON_COLUMNS)[number], unknown>> & {
  description?: string | null;
  display_name?: string | null;
  /** Replaces every label of the deployment. */
  labels?: Label[];
};

/** The `json` columns (migration 0011): they keep the blueprint's key order. */
const IN_BLUEPRINT_ORDER = new Set(['inputs', 'outputs', 'capabilities']);

/** Sets the given attributes (and labels) of the deployment in one transaction. */
export async function updateDeployment(
  db: Db,
  storageId: number,
  creatorId: number,
  patch: DeploymentPatch,
): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [storageId];
  for (const col of JSON_COLUMNS) {
    if (patch[col] === undefined) continue;
    params.push(patch[col] === null ? null : JSON.stringify(patch[col]));
    sets.push(`${col} = $${params.length}::text::${IN_BLUEPRINT_ORDER.has(col) ? 'json' : 'jsonb'}`);
  }
  for (const col of ['description', 'display_name'] as const) {
    if (patch[col] === undefined) continue;
    params.push(patch[col]);
    sets.push(`${col} = $${params.length}`);
  }
  await db.transaction(async (tx) => {
    if (sets.length) {
      await tx.query(
        `UPDATE deployments SET ${sets.join(', ')}, updated_at = now() WHERE _storage_id = $1`,
        params,
      );
    }
    if (patch.labels) {
      await tx.query('DELETE FROM deployments_labels WHERE _labeled_model_fk = $1', [storageId]);
      await insertLabels(tx, storageId, creatorId, patch.labels);
    }
  });
}

/** delete_deployment_environment is under way (updated_at is left as it is). */
export async function markDeleting(db: Db, storageId: number): Promise<void> {
  await db.query("UPDATE deployments SET deployment_status = 'in_progress' WHERE _storage_id = $1", [
    storageId,
  ]);
}

// ---- status changes driven by its executions (inside the lifecycle's transaction) ----

/** An execution of the deployment started: it is in progress, and that execution is its latest. */
export async function markInProgress(tx: Db, storageId: number, executionFk: number): Promise<void> {
  await tx.query(
    "UPDATE deployments SET deployment_status = 'in_progress', _latest_execution_fk = $2, updated_at = now() WHERE _storage_id = $1",
    [storageId, executionFk],
  );
}

export async function setDeploymentStatus(tx: Db, storageId: number, status: string): Promise<void> {
  await tx.query('UPDATE deployments SET deployment_status = $2, updated_at = now() WHERE _storage_id = $1', [
    storageId,
    status,
  ]);
}

/** Removes the deployment and, through the foreign keys, its nodes, instances and executions. */
export async function deleteDeployment(tx: Db, storageId: number): Promise<void> {
  await tx.query('DELETE FROM deployments WHERE _storage_id = $1', [storageId]);
}

// ---- the worker's view ----

export interface DeploymentInfo {
  _storage_id: number;
  id: string;
  blueprint_id: string;
  tenant_name: string;
  inputs: Record<string, unknown>;
  scaling_groups: Record<string, any>;
  outputs: Record<string, any>;
  capabilities: Record<string, any>;
  workflows: Record<string, any>;
  plan: Record<string, any> | null;
}

export async function loadDeployment(db: Db, storageId: number): Promise<DeploymentInfo | undefined> {
  const [row] = await db.query<DeploymentInfo>(
    `SELECT d._storage_id, d.id, b.id AS blueprint_id, t.name AS tenant_name, d.inputs, d.scaling_groups, d.outputs,
       d.capabilities, d.workflows, b.plan
     FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk JOIN tenants t ON t.id = d._tenant_id
     WHERE d._storage_id = $1`,
    [storageId],
  );
  return row;
}

type EnvironmentSource = Pick<DeploymentInfo, '_storage_id' | 'inputs' | 'plan'>;

/** The deployment's inputs and its blueprint's plan, locked for create_deployment_environment. */
export async function lockDeploymentForEnvironment(
  tx: Db,
  storageId: number,
): Promise<EnvironmentSource | undefined> {
  const [row] = await tx.query<EnvironmentSource>(
    `SELECT d._storage_id, d.inputs, b.plan FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk
     WHERE d._storage_id = $1 FOR UPDATE OF d`,
    [storageId],
  );
  return row;
}

/** Writes what the prepared deployment plan says: description, inputs and the plan's sections. */
export async function writeDeploymentPlan(tx: Db, storageId: number, dp: Record<string, any>): Promise<void> {
  await tx.query(
    `UPDATE deployments SET description = $2, inputs = $3::text::json, workflows = $4::text::jsonb,
       groups = $5::text::jsonb, policy_types = $6::text::jsonb, policy_triggers = $7::text::jsonb,
       scaling_groups = $8::text::jsonb, outputs = $9::text::json, capabilities = $10::text::json,
       installation_status = 'inactive', updated_at = now()
     WHERE _storage_id = $1`,
    [
      storageId,
      dp.description ?? null,
      JSON.stringify(dp.inputs ?? {}),
      ...SECTIONS.map((k) => JSON.stringify(dp[k] ?? {})),
    ],
  );
}

type RuntimeDeployment = Pick<DeploymentRow, 'id' | '_tenant_id' | 'outputs' | 'capabilities'> &
  Pick<DeploymentInfo, 'inputs'>;

/** What evaluating runtime functions on the deployment (and its outputs/capabilities) needs of its row. */
export async function loadRuntimeDeployment(
  db: Db,
  storageId: number,
): Promise<RuntimeDeployment | undefined> {
  const [row] = await db.query<RuntimeDeployment>(
    'SELECT id, _tenant_id, inputs, outputs, capabilities FROM deployments WHERE _storage_id = $1',
    [storageId],
  );
  return row;
}

type CapabilitiesRow = Pick<DeploymentRow, '_storage_id' | 'capabilities'>;

/** Deployment `id` as a deployment of `tenantId` sees it (get_capability): its storage id and capabilities. */
export async function findCapabilities(
  db: Db,
  tenantId: number,
  id: string,
): Promise<CapabilitiesRow | undefined> {
  const [row] = await db.query<CapabilitiesRow>(
    `SELECT _storage_id, capabilities FROM deployments WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')`,
    [id, tenantId],
  );
  return row;
}
