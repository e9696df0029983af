// The deployment modification behind `scale` (dsl-and-workflows.md §3.5): before the graph is built,
// new instances are computed with the DSL's modifyStored and inserted `uninitialized` (scale
// out); removed ones stay until `deployment_modification.finish` deletes them (scale in). Counts on
// the nodes follow the instance rows. A failed scale-out removes the instances it added that never
// got past `uninitialized`/`deleted` (rollback_if_failed).
import { modifyStored, prepareDeploymentPlan } from '../dsl/index.js';
import { planScaleModification, type ScaleModification, type WorkflowInput } from '../engine/index.js';
import type { Db } from '../store/port.js';
import type { DeploymentInfo } from '../store/repositories/deployments.js';
import type { ExecutionRow } from '../store/repositories/executions.js';
import type { NodeRow } from '../store/repositories/nodes.js';
import {
  type InstanceRow,
  insertNodeInstances,
  removeInstances,
  setRelationships,
  toPlanInstance,
} from '../store/repositories/node-instances.js';

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
  const res = modifyStored(
    plan as never,
    {
      instances,
      counts: new Map(nodes.map((n) => [n.id, n.number_of_instances])),
      scalingGroups: dep.scaling_groups ?? {},
    },
    { [sp.entity]: { instances: sp.plannedInstances } },
  );
  const nodeFk = new Map(nodes.map((n) => [n.id, n._storage_id]));
  const added = res.added_and_related as unknown as Record<string, any>[];
  const removed = res.removed_and_related as unknown as Record<string, any>[];
  await db.transaction(async (tx) => {
    let index = instances.reduce((m, i) => Math.max(m, i.index ?? 0), 0);
    // The worker's instances are tenant-visible (the column's default), as create_deployment_environment's.
    const owner = { tenantId: exec._tenant_id, creatorId: exec._creator_id, visibility: 'tenant' };
    await insertNodeInstances(
      tx,
      owner,
      added.map((ni) => ({
        id: ni.id,
        nodeFk: nodeFk.get(ni.node_id),
        relationships: ni.relationships ?? [],
        host_id: ni.host_id ?? null,
        index: ++index,
        scaling_groups: ni.scaling_groups ?? [],
      })),
    );
    // Existing instances may gain relationships to new targets (connected_to all_to_all).
    const existingIds = new Set(instances.map((i) => i.id));
    for (const ni of res.node_instances as unknown as Record<string, any>[]) {
      if (!existingIds.has(ni.id)) continue;
      await setRelationships(tx, exec._tenant_id, ni.id, ni.relationships ?? []);
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
  await removeInstances(db, deploymentFk, touched, ['deleted']);
}

/** A failed scale-out: remove added instances that never got installed. */
export async function rollbackScaleOut(db: Db, deploymentFk: number, added: string[]): Promise<void> {
  if (!added.length) return;
  await removeInstances(db, deploymentFk, added, ['uninitialized', 'deleted']);
}
