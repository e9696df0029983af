// How deployments are read: the list/get field map, the response schema and scoped lookups.
import type { Db } from '../../store/port.js';
import { notFoundResource } from '../errors.js';
import { type ResourceDef, type Scope, scopeSql, selectList } from '../list-query.js';
import { commonFields, fromWithOwner, json, ts } from '../resources/common.js';
import { Any, Bool, commonProps, Int, NStr, resource, Str } from '../schemas.js';

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

export const DeploymentBody = resource({
  ...commonProps,
  updated_at: NStr,
  blueprint_id: Str,
  display_name: Str,
  description: NStr,
  inputs: Any,
  outputs: Any,
  capabilities: Any,
  groups: Any,
  policy_triggers: Any,
  policy_types: Any,
  scaling_groups: Any,
  workflows: Any,
  resource_tags: Any,
  labels: Any,
  site_name: NStr,
  runtime_only_evaluation: Bool,
  installation_status: NStr,
  deployment_status: NStr,
  latest_execution_id: NStr,
  latest_execution_status: NStr,
  latest_execution_total_operations: Any,
  latest_execution_finished_operations: Any,
  sub_services_status: NStr,
  sub_environments_status: NStr,
  sub_services_count: Int,
  sub_environments_count: Int,
  environment_type: Str,
});

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
export async function findDeployment(
  db: Db,
  scope: Scope,
  id: string,
  forUpdate = false,
): Promise<DeploymentRow> {
  const params: unknown[] = [];
  const where = scopeSql(DEPLOYMENTS, scope, params);
  params.push(id);
  where.push(`t.id = $${params.length}`);
  const rows = await db.query<DeploymentRow>(
    `SELECT t._storage_id, t.id, t._tenant_id, t.visibility, b.id AS blueprint_id, t.workflows, t.outputs,
       t.capabilities, t.display_name
     FROM deployments t JOIN blueprints b ON b._storage_id = t._blueprint_fk
     WHERE ${where.join(' AND ')}${forUpdate ? ' FOR UPDATE OF t' : ''}`,
    params,
  );
  if (rows.length === 0) throw notFoundResource('Deployment', id);
  return rows[0];
}

/** A deployment as the API shows it. */
export async function getDeploymentView(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<Record<string, unknown>> {
  const params: unknown[] = [];
  const where = scopeSql(DEPLOYMENTS, scope, params);
  params.push(id);
  where.push(`t.id = $${params.length}`);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${selectList(DEPLOYMENTS, include)} FROM ${DEPLOYMENTS.from} WHERE ${where.join(' AND ')}`,
    params,
  );
  if (rows.length === 0) throw notFoundResource('Deployment', id);
  return renderDeployment(rows[0]);
}
