// Deployments: the list/get field map, the visible-row lookups and the status its executions set.
import type { Db } from '../port.js';
import { getVisible, type ResourceDef, type Scope } from './list.js';
import { commonFields, fromWithOwner, json, ts } from './common.js';

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
