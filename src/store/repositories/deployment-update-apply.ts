// Applying a deployment update (the worker's side, docs/decisions.md 28): commit before the update
// workflow's graph is built, finalize as its last task, roll back when it does not succeed; one
// transaction each.
import type { Db } from '../port.js';
import { jsonParam, sqlArray } from './common.js';
import type { StoredUpdate } from './deployment-updates.js';
import { insertNodeInstances } from './node-instances.js';
import { insertNodes, type NodeInsert, type Owner } from './nodes.js';

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
      `UPDATE deployments SET _blueprint_fk = coalesce($2, _blueprint_fk), inputs = $3::text::json,
         description = $4, workflows = $5::text::jsonb, outputs = $6::text::json,
         capabilities = $7::text::json, groups = $8::text::jsonb, policy_types = $9::text::jsonb,
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
