// Deployment updates (rest-api.md §1.9, Cloudify 5.1.2 models.DeploymentUpdate): the rows of
// `/deployment-updates`, their insert and state, and what the worker reads to apply an update
// (deployment-update-apply.ts writes it).
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, jsonParam } from './common.js';
import {
  type ListResult,
  listResources,
  type PageLimits,
  type ResourceDef,
  type Scope,
  getVisible,
} from './list.js';
import type { NodeInsert, Owner } from './nodes.js';
import type { NodeInstanceInsert } from './node-instances.js';

export const DEPLOYMENT_UPDATES: ResourceDef = {
  kind: 'DeploymentUpdate',
  from: `${fromWithOwner('deployment_updates')} JOIN deployments d ON d._storage_id = t._deployment_fk
    LEFT JOIN executions e ON e._storage_id = t._execution_fk
    LEFT JOIN blueprints ob ON ob._storage_id = t._old_blueprint_fk
    LEFT JOIN blueprints nb ON nb._storage_id = t._new_blueprint_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    deployment_id: { sql: 'd.id' },
    old_blueprint_id: { sql: 'ob.id' },
    new_blueprint_id: { sql: 'nb.id' },
    state: { sql: 't.state' },
    execution_id: { sql: 'e.id' },
    old_inputs: json('t.old_inputs'),
    new_inputs: json('t.new_inputs'),
    steps: json('t.steps'),
    deployment_plan: json('t.deployment_plan'),
    deployment_update_nodes: json('t.deployment_update_nodes'),
    deployment_update_node_instances: json('t.deployment_update_node_instances'),
    deployment_update_deployment: json('t.deployment_update_deployment'),
    modified_entity_ids: json('t.modified_entity_ids'),
    central_plugins_to_install: json('t.central_plugins_to_install'),
    central_plugins_to_uninstall: json('t.central_plugins_to_uninstall'),
    runtime_only_evaluation: { sql: 't.runtime_only_evaluation' },
    keep_old_deployment_dependencies: { sql: 't.keep_old_deployment_dependencies' },
    recursive_dependencies: { sql: "'[]'::jsonb", filter: false },
  },
};

export function listDeploymentUpdates(
  db: Db,
  limits: PageLimits,
  scope: Scope,
  query: Record<string, unknown>,
): Promise<ListResult<Record<string, unknown>>> {
  return listResources(db, limits, DEPLOYMENT_UPDATES, { query, scope });
}

export function getDeploymentUpdate(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<Record<string, unknown> & { __storage_id: number }> {
  return getVisible(db, DEPLOYMENT_UPDATES, scope, id, { include });
}

/**
 * Updates of the deployment that are neither successful nor failed (5.1: one at a time). An update
 * whose execution ended failed or cancelled before the worker ran it is marked failed first.
 */
export async function activeUpdateIds(db: Db, deploymentFk: number): Promise<string[]> {
  await db.query(
    `UPDATE deployment_updates u SET state = 'failed' FROM executions e
     WHERE u._deployment_fk = $1 AND u.state NOT IN ('successful', 'failed') AND e._storage_id = u._execution_fk
       AND e.status IN ('failed', 'cancelled')`,
    [deploymentFk],
  );
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM deployment_updates WHERE _deployment_fk = $1 AND state NOT IN ('successful', 'failed')
     ORDER BY _storage_id`,
    [deploymentFk],
  );
  return rows.map((r) => r.id);
}

export interface DeploymentUpdateInsert extends Owner {
  id: string;
  deploymentFk: number;
  oldBlueprintFk: number | null;
  newBlueprintFk: number | null;
  executionFk: number | null;
  state: string;
  steps: unknown[];
  deploymentPlan: unknown;
  nodes: unknown;
  nodeInstances: unknown;
  modifiedEntityIds: unknown;
  oldInputs: unknown;
  newInputs: unknown;
  runtimeOnlyEvaluation: boolean;
  keepOldDeploymentDependencies: boolean;
  oldNodes: unknown[];
}

export async function insertDeploymentUpdate(tx: Db, u: DeploymentUpdateInsert): Promise<void> {
  await tx.query(
    `INSERT INTO deployment_updates (id, visibility, _tenant_id, _creator_id, _deployment_fk, _old_blueprint_fk,
       _new_blueprint_fk, _execution_fk, state, steps, deployment_plan, deployment_update_nodes,
       deployment_update_node_instances, modified_entity_ids, central_plugins_to_install,
       central_plugins_to_uninstall, old_inputs, new_inputs, runtime_only_evaluation,
       keep_old_deployment_dependencies, old_nodes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11::text::jsonb, $12::text::jsonb,
       $13::text::jsonb, $14::text::jsonb, '[]', '[]', $15::text::jsonb, $16::text::jsonb, $17, $18,
       $19::text::jsonb)`,
    [
      u.id,
      u.visibility,
      u.tenantId,
      u.creatorId,
      u.deploymentFk,
      u.oldBlueprintFk,
      u.newBlueprintFk,
      u.executionFk,
      u.state,
      jsonParam(u.steps),
      jsonParam(u.deploymentPlan),
      jsonParam(u.nodes),
      jsonParam(u.nodeInstances),
      jsonParam(u.modifiedEntityIds),
      jsonParam(u.oldInputs),
      jsonParam(u.newInputs),
      u.runtimeOnlyEvaluation,
      u.keepOldDeploymentDependencies,
      jsonParam(u.oldNodes),
    ],
  );
}

export async function setUpdateState(db: Db, tenantId: number, id: string, state: string): Promise<void> {
  await db.query('UPDATE deployment_updates SET state = $3 WHERE id = $1 AND _tenant_id = $2', [
    id,
    tenantId,
    state,
  ]);
}

type Rel = { target_id: string; type: string };

/** What the worker needs of an update: the new plan, the instance changes, the old node definitions. */
export interface StoredUpdate {
  _storage_id: number;
  id: string;
  state: string;
  _deployment_fk: number;
  _new_blueprint_fk: number | null;
  deployment_plan: Record<string, any>;
  deployment_update_nodes: { added: NodeInsert[]; modified: NodeInsert[]; removed: string[] };
  deployment_update_node_instances: {
    added: (Omit<NodeInstanceInsert, 'nodeFk' | 'index'> & { node_id: string })[];
    removed: string[];
    /** existing instances whose relationships change: instance id → old and new lists */
    relationships: Record<string, { old: Rel[]; new: Rel[] }>;
  };
  new_inputs: Record<string, unknown>;
  runtime_only_evaluation: boolean;
  old_nodes: NodeInsert[];
}

export async function loadStoredUpdate(
  db: Db,
  tenantId: number,
  id: string,
): Promise<StoredUpdate | undefined> {
  const [row] = await db.query<StoredUpdate>(
    `SELECT _storage_id, id, state, _deployment_fk, _new_blueprint_fk, deployment_plan, deployment_update_nodes,
       deployment_update_node_instances, new_inputs, runtime_only_evaluation, old_nodes
     FROM deployment_updates WHERE id = $1 AND _tenant_id = $2`,
    [id, tenantId],
  );
  return row;
}

/** What an update starts from: the deployment's current sections, inputs and blueprint. */
export interface UpdateSource {
  _storage_id: number;
  id: string;
  visibility: string;
  _blueprint_fk: number;
  blueprint_id: string;
  blueprint_plan: Record<string, any> | null;
  inputs: Record<string, unknown>;
  description: string | null;
  outputs: Record<string, unknown>;
  workflows: Record<string, unknown>;
  policy_types: Record<string, unknown>;
  policy_triggers: Record<string, unknown>;
  groups: Record<string, unknown>;
  scaling_groups: Record<string, any>;
  runtime_only_evaluation: boolean;
}

export async function loadUpdateSource(db: Db, storageId: number): Promise<UpdateSource> {
  const [row] = await db.query<UpdateSource>(
    `SELECT d._storage_id, d.id, d.visibility, d._blueprint_fk, b.id AS blueprint_id, b.plan AS blueprint_plan,
       d.inputs, d.description, d.outputs, d.workflows, d.policy_types, d.policy_triggers, d.groups,
       d.scaling_groups, d.runtime_only_evaluation
     FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk WHERE d._storage_id = $1`,
    [storageId],
  );
  return row;
}

/** The execution of the update: set once the execution row exists (same transaction). */
export async function setUpdateExecution(
  tx: Db,
  id: string,
  tenantId: number,
  executionFk: number,
): Promise<void> {
  await tx.query('UPDATE deployment_updates SET _execution_fk = $3 WHERE id = $1 AND _tenant_id = $2', [
    id,
    tenantId,
    executionFk,
  ]);
}
