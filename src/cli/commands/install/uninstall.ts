// `cfy uninstall DEP`: run uninstall, delete the deployment, and delete its blueprint when no other
// deployment uses it.
import type { Ctx } from '../../context.js';
import { deleteDeployment } from '../deployments/delete.js';
import type { StartOpts } from '../executions/start.js';
import { startAndFollow } from '../executions/start.js';

export async function run(
  c: Ctx,
  o: Omit<StartOpts, 'deploymentId'> & { workflowId: string },
  deploymentId: string,
) {
  const client = c.client({ tenant: o.tenantName });
  const dep = await client.deployments.get(deploymentId);
  await startAndFollow(c, client, o.workflowId, { ...o, deploymentId });
  await deleteDeployment(c, client, deploymentId, {});
  const others = await client.deployments.list({
    filters: { blueprint_id: dep.blueprint_id },
    include: ['id'],
  });
  if (others.items.length === 0) {
    c.out.info(`Deleting blueprint ${dep.blueprint_id}...`);
    await client.blueprints.delete(dep.blueprint_id);
    c.out.info('Blueprint deleted');
  }
}
