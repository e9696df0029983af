// The system workflows create_deployment_environment and delete_deployment_environment: turn the
// blueprint's plan and the deployment's inputs into nodes and node instances, and remove them again.
// Cloudify's mgmtworker does this through REST callbacks; our worker shares the database and writes
// the same rows in one transaction, so a failure leaves nothing half-created.
import { prepareDeploymentPlan } from '../../dsl/index.js';
import type { Db } from '../../store/port.js';
import { lockDeploymentForEnvironment, writeDeploymentPlan } from '../../store/repositories/deployments.js';
import { deleteDeploymentEvents } from '../../store/repositories/events.js';
import type { ExecutionRow } from '../../store/repositories/executions.js';
import { deleteNodes, insertNodes, planNodeRow } from '../../store/repositories/nodes.js';
import { insertNodeInstances } from '../../store/repositories/node-instances.js';

export async function createDeploymentEnvironment(db: Db, exec: ExecutionRow): Promise<void> {
  await db.transaction(async (tx) => {
    const dep =
      exec._deployment_fk === null ? undefined : await lockDeploymentForEnvironment(tx, exec._deployment_fk);
    if (!dep) throw new Error(`The deployment of execution ${exec.id} no longer exists`);
    if (!dep.plan) return; // a blueprint stored without a parser has no plan: an empty environment
    const inputs = (exec.parameters?.inputs as Record<string, unknown> | undefined) ?? dep.inputs ?? {};
    const dp = prepareDeploymentPlan(dep.plan as never, inputs) as Record<string, any>;
    await writeDeploymentPlan(tx, dep._storage_id, dp);
    // The worker's nodes and instances are tenant-visible (the columns' default).
    const owner = { tenantId: exec._tenant_id, creatorId: exec._creator_id, visibility: 'tenant' };
    const nodeFk = await insertNodes(
      tx,
      owner,
      dep._storage_id,
      (dp.nodes as Record<string, any>[]).map((n) => planNodeRow(n)),
    );
    let index = 0;
    await insertNodeInstances(
      tx,
      owner,
      (dp.node_instances as Record<string, any>[]).map((ni) => ({
        id: ni.id,
        nodeFk: nodeFk.get(ni.node_id ?? ni.name),
        relationships: ni.relationships ?? [],
        host_id: ni.host_id ?? null,
        index: ++index,
        scaling_groups: ni.scaling_groups ?? [],
      })),
    );
  });
}

/** Removes the deployment's runtime rows; the caller deletes the deployment row after reporting. */
export async function deleteDeploymentEnvironment(db: Db, exec: ExecutionRow): Promise<void> {
  if (exec._deployment_fk === null) return;
  const deploymentFk = exec._deployment_fk;
  await db.transaction(async (tx) => {
    await deleteNodes(tx, deploymentFk);
    if (exec.parameters?.delete_logs) await deleteDeploymentEvents(tx, deploymentFk);
  });
}
