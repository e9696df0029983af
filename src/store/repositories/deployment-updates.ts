// Deployment updates (rest-api.md §1.9, Cloudify 5.1.2 models.DeploymentUpdate): the rows of
// `/deployment-updates`, the state changes, and what the worker reads and writes to apply an update
// (commit: new nodes and instances, modified node definitions) or undo it, in one transaction each.
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, jsonParam, sqlArray } from './common.js';
import {
  type ListResult,
  listResources,
  type PageLimits,
  type ResourceDef,
  type Scope,
  getVisible,
} from './list.js';
import type { NodeInsert, Owner } from './nodes.js';
import { insertNodes } from './nodes.js';
import { insertNodeInstances, type NodeInstanceInsert } from './node-instances.js';

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

/** `a` followed by the entries of `b` it lacks (same target and type). */
const union = <T extends Rel>(a: T[], b: T[]): T[] => [
  ...a,
  ...b.filter((r) => !a.some((x) => x.target_id === r.target_id && x.type === r.type)),
];

async function writeRelationships(tx: Db, dep: number, changes: [string, unknown][]): Promise<void> {
  for (const [id, rels] of changes) {
    await tx.query(
      `UPDATE node_instances ni SET relationships = $3::text::jsonb, version = ni.version + 1 FROM nodes n
       WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1 AND ni.id = $2
         AND ni.relationships <> $3::text::jsonb`,
      [dep, id, jsonParam(rels)],
    );
  }
}

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

const NODE_DEF = `type = $3, type_hierarchy = $4::text::jsonb, properties = $5::text::jsonb,
  operations = $6::text::jsonb, relationships = $7::text::jsonb, plugins = $8::text::jsonb,
  plugins_to_install = $9::text::jsonb`;

async function writeNodeDefinitions(tx: Db, deploymentFk: number, nodes: NodeInsert[]): Promise<void> {
  for (const n of nodes) {
    await tx.query(`UPDATE nodes SET ${NODE_DEF} WHERE _deployment_fk = $1 AND id = $2`, [
      deploymentFk,
      n.id,
      n.type,
      jsonParam(n.type_hierarchy),
      jsonParam(n.properties),
      jsonParam(n.operations),
      jsonParam(n.relationships),
      jsonParam(n.plugins),
      n.plugins_to_install === undefined ? null : jsonParam(n.plugins_to_install),
    ]);
  }
}

/**
 * Before the update workflow runs (one transaction): the added nodes and their instances
 * (uninitialized), the modified nodes' new definitions, and existing instances' new relationships.
 */
export async function commitUpdate(db: Db, owner: Owner, u: StoredUpdate): Promise<void> {
  await db.transaction(async (tx) => {
    const dep = u._deployment_fk;
    const ni = u.deployment_update_node_instances;
    const fks = await insertNodes(tx, owner, dep, u.deployment_update_nodes.added);
    const all = await tx.query<{ id: string; _storage_id: number }>(
      'SELECT id, _storage_id FROM nodes WHERE _deployment_fk = $1',
      [dep],
    );
    for (const n of all) if (!fks.has(n.id)) fks.set(n.id, n._storage_id);
    const [{ max }] = await tx.query<{ max: number }>(
      `SELECT coalesce(max(ni.index), 0)::int AS max FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
       WHERE n._deployment_fk = $1`,
      [dep],
    );
    let index = max;
    await insertNodeInstances(
      tx,
      owner,
      u.deployment_update_node_instances.added.map(({ node_id, ...i }) => ({
        ...i,
        nodeFk: fks.get(node_id),
        index: ++index,
      })),
    );
    // While the workflow runs, modified nodes and instances hold both their old relationships (the
    // uninstall phase unlinks them) and their new ones (the install phase establishes them).
    const oldDefs = new Map(u.old_nodes.map((n) => [n.id, n]));
    const merged = u.deployment_update_nodes.modified.map((n) => ({
      ...n,
      relationships: union(
        n.relationships as Rel[],
        (oldDefs.get(n.id)?.relationships as Rel[] | undefined) ?? [],
      ),
    }));
    await writeNodeDefinitions(tx, dep, merged);
    await writeRelationships(
      tx,
      dep,
      Object.entries(ni.relationships).map(([id, r]) => [id, union(r.old, r.new)]),
    );
    await tx.query(`UPDATE deployment_updates SET state = 'executing_workflow' WHERE _storage_id = $1`, [
      u._storage_id,
    ]);
  });
}

/**
 * The update workflow succeeded (Cloudify's finalize_commit), in one transaction: removed instances
 * and nodes go, existing instances take their new relationships, the deployment takes the new
 * blueprint, inputs and plan sections, and the update is successful.
 */
export async function finalizeUpdate(
  db: Db,
  u: StoredUpdate,
  sections: Record<string, unknown>,
): Promise<void> {
  await db.transaction(async (tx) => {
    const dep = u._deployment_fk;
    const ni = u.deployment_update_node_instances;
    await tx.query(
      `DELETE FROM node_instances ni USING nodes n WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1
         AND ni.id = ANY($2::text[])`,
      [dep, sqlArray(ni.removed)],
    );
    await tx.query('DELETE FROM nodes WHERE _deployment_fk = $1 AND id = ANY($2::text[])', [
      dep,
      sqlArray(u.deployment_update_nodes.removed),
    ]);
    await writeRelationships(
      tx,
      dep,
      Object.entries(ni.relationships).map(([id, r]) => [id, r.new]),
    );
    await writeNodeDefinitions(tx, dep, u.deployment_update_nodes.modified);
    await tx.query(
      `UPDATE deployments SET _blueprint_fk = coalesce($2, _blueprint_fk), inputs = $3::text::jsonb,
         description = $4, workflows = $5::text::jsonb, outputs = $6::text::jsonb,
         capabilities = $7::text::jsonb, groups = $8::text::jsonb, policy_types = $9::text::jsonb,
         policy_triggers = $10::text::jsonb, scaling_groups = $11::text::jsonb, runtime_only_evaluation = $12,
         updated_at = now()
       WHERE _storage_id = $1`,
      [
        dep,
        u._new_blueprint_fk,
        jsonParam(u.new_inputs),
        (sections.description as string | null) ?? null,
        ...[
          'workflows',
          'outputs',
          'capabilities',
          'groups',
          'policy_types',
          'policy_triggers',
          'scaling_groups',
        ].map((k) => jsonParam(sections[k] ?? {})),
        u.runtime_only_evaluation,
      ],
    );
    await tx.query(`UPDATE deployment_updates SET state = 'successful' WHERE _storage_id = $1`, [
      u._storage_id,
    ]);
  });
}

/**
 * The update workflow failed or was cancelled: the deployment keeps its plan; the added instances
 * and nodes go, the modified nodes get their old definitions back, and the update is failed.
 */
export async function rollbackUpdate(db: Db, u: StoredUpdate): Promise<void> {
  await db.transaction(async (tx) => {
    const dep = u._deployment_fk;
    const added = u.deployment_update_node_instances.added.map((i) => i.id);
    await tx.query(
      `DELETE FROM node_instances ni USING nodes n WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1
         AND ni.id = ANY($2::text[])`,
      [dep, sqlArray(added)],
    );
    await tx.query('DELETE FROM nodes WHERE _deployment_fk = $1 AND id = ANY($2::text[])', [
      dep,
      sqlArray(u.deployment_update_nodes.added.map((n) => n.id)),
    ]);
    await writeNodeDefinitions(tx, dep, u.old_nodes);
    await writeRelationships(
      tx,
      dep,
      Object.entries(u.deployment_update_node_instances.relationships).map(([id, r]) => [id, r.old]),
    );
    await tx.query(`UPDATE deployment_updates SET state = 'failed' WHERE _storage_id = $1`, [u._storage_id]);
  });
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

/** Whether commitUpdate already ran (its added nodes exist); the rest of it is idempotent. */
export async function updateCommitted(db: Db, u: StoredUpdate): Promise<boolean> {
  const added = u.deployment_update_nodes.added.map((n) => n.id);
  if (!added.length) return false;
  const rows = await db.query(
    'SELECT 1 FROM nodes WHERE _deployment_fk = $1 AND id = ANY($2::text[]) LIMIT 1',
    [u._deployment_fk, sqlArray(added)],
  );
  return rows.length > 0;
}
