// The deployment modification behind `scale` (dsl-and-workflows.md §3.5): before the graph is built,
// new instances are computed with the DSL's modifyDeployment and inserted `uninitialized` (scale
// out); removed ones stay until `deployment_modification.finish` deletes them (scale in). Counts on
// the nodes follow the instance rows. A failed scale-out removes the instances it added that never
// got past `uninitialized`/`deleted` (rollback_if_failed).
import { modifyDeployment, type NodeInstance, prepareDeploymentPlan } from '../dsl/index.js';
import { planScaleModification, type ScaleModification, type WorkflowInput } from '../engine/index.js';
import type { Db } from '../store/port.js';
import type { DeploymentInfo } from '../store/repositories/deployments.js';
import type { ExecutionRow } from '../store/repositories/executions.js';
import { type InstanceRow, type NodeRow, toPlanInstance } from '../store/repositories/nodes.js';

const j = (v: unknown) => JSON.stringify(v ?? null);

export async function startScaleModification(
  db: Db,
  exec: ExecutionRow,
  dep: DeploymentInfo,
  nodes: NodeRow[],
  instances: InstanceRow[],
  input: WorkflowInput,
): Promise<ScaleModification> {
  const sp = planScaleModification(input);
  if (sp.delta === 0) return { id: exec.id, added: [], removed: [] };
  if (!dep.plan) throw new Error('scale: the blueprint has no stored plan');
  const plan = prepareDeploymentPlan(dep.plan as never, dep.inputs ?? {}, {
    runtimeOnlyEvaluation: true,
  }) as Record<string, any>;
  const counts = new Map(nodes.map((n) => [n.id, n.number_of_instances]));
  for (const n of plan.nodes) {
    const props = n.capabilities?.scalable?.properties;
    if (props && counts.has(n.id)) props.planned_instances = counts.get(n.id);
  }
  for (const [g, def] of Object.entries<any>(dep.scaling_groups ?? {})) {
    if (plan.scaling_groups?.[g] && def?.properties?.planned_instances !== undefined) {
      plan.scaling_groups[g].properties.planned_instances = def.properties.planned_instances;
    }
  }
  const existing: NodeInstance[] = instances.map((i) => ({
    id: i.id,
    name: i.node_id,
    node_id: i.node_id,
    host_id: i.host_id ?? undefined,
    relationships: i.relationships,
    scaling_groups: i.scaling_groups,
  })) as unknown as NodeInstance[];
  const res = modifyDeployment(plan, existing, { [sp.entity]: { instances: sp.plannedInstances } });
  const nodeFk = new Map(nodes.map((n) => [n.id, n._storage_id]));
  const added = res.added_and_related as unknown as Record<string, any>[];
  const removed = res.removed_and_related as unknown as Record<string, any>[];
  await db.transaction(async (tx) => {
    let index = instances.reduce((m, i) => Math.max(m, i.index ?? 0), 0);
    for (const ni of added) {
      await tx.query(
        `INSERT INTO node_instances (id, _tenant_id, _creator_id, _node_fk, relationships, host_id, index, scaling_groups)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8::text::jsonb)`,
        [
          ni.id,
          exec._tenant_id,
          exec._creator_id,
          nodeFk.get(ni.node_id),
          j(ni.relationships ?? []),
          ni.host_id ?? null,
          ++index,
          j(ni.scaling_groups ?? []),
        ],
      );
    }
    // Existing instances may gain relationships to new targets (connected_to all_to_all).
    const existingIds = new Set(instances.map((i) => i.id));
    for (const ni of res.node_instances as unknown as Record<string, any>[]) {
      if (!existingIds.has(ni.id)) continue;
      await tx.query(
        `UPDATE node_instances SET relationships = $3::text::jsonb, version = version + 1
         WHERE id = $1 AND _tenant_id = $2 AND relationships <> $3::text::jsonb`,
        [ni.id, exec._tenant_id, j(ni.relationships ?? [])],
      );
    }
  });
  const byId = new Map(instances.map((i) => [i.id, i]));
  return {
    id: exec.id,
    added: added.map((ni) => ({
      id: ni.id,
      node_id: ni.node_id,
      name: ni.node_id,
      host_id: ni.host_id ?? null,
      relationships: ni.relationships ?? [],
      scaling_groups: ni.scaling_groups ?? [],
      state: 'uninitialized',
    })),
    removed: removed.map((ni) =>
      byId.has(ni.id) ? toPlanInstance(byId.get(ni.id)!) : toPlanInstance(ni as never),
    ),
  };
}

/** `deployment_modification.finish`: drop the instances a scale-in deleted, recount instances per node. */
export async function finishScaleModification(
  db: Db,
  deploymentFk: number,
  touched: string[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM node_instances ni USING nodes n
       WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1 AND ni.state = 'deleted' AND ni.id = ANY($2::text[])`,
      [deploymentFk, `{${touched.join(',')}}`],
    );
    await recountNodes(tx, deploymentFk);
  });
}

export async function recountNodes(db: Db, deploymentFk: number): Promise<void> {
  await db.query(
    `UPDATE nodes n SET number_of_instances = c.n, planned_number_of_instances = c.n
     FROM (SELECT n2._storage_id AS id, count(ni._storage_id)::int AS n FROM nodes n2
           LEFT JOIN node_instances ni ON ni._node_fk = n2._storage_id WHERE n2._deployment_fk = $1
           GROUP BY n2._storage_id) c
     WHERE n._storage_id = c.id`,
    [deploymentFk],
  );
}

/** A failed scale-out: remove added instances that never got installed. */
export async function rollbackScaleOut(db: Db, deploymentFk: number, added: string[]): Promise<void> {
  if (!added.length) return;
  await db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM node_instances ni USING nodes n
       WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1 AND ni.id = ANY($2::text[])
         AND ni.state IN ('uninitialized', 'deleted')`,
      [deploymentFk, `{${added.join(',')}}`],
    );
    await recountNodes(tx, deploymentFk);
  });
}
