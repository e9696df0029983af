import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { NODE_COLUMNS } from './list.js';

export async function run(
  c: Ctx,
  o: { deploymentId: string; tenantName?: string },
  nodeId: string,
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Retrieving node ${nodeId}`);
  const node = await client.nodes.get(o.deploymentId, nodeId);
  if (!node)
    throw new CliError(`Node ${nodeId} was not found in deployment ${o.deploymentId}`, {
      fix: `see \`cfy nodes list -d ${o.deploymentId}\``,
    });
  const instances = await client.nodeInstances.list({
    filters: { deployment_id: o.deploymentId, node_id: nodeId },
  });
  const ids = instances.items.map((i) => i.id);
  if (c.out.json)
    return c.out.single('Node:', NODE_COLUMNS, node, { properties: node.properties ?? {}, instances: ids });
  c.out.single('Node:', NODE_COLUMNS, node);
  c.out.details('Node properties:', node.properties ?? {});
  c.out.print(`Node instance IDs:\n${ids.map((i) => `\t${i}`).join('\n')}\n`);
}
