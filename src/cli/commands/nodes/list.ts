import type { Ctx } from '../../context.js';
import { type ListOpts, listParams } from '../shared.js';

export const NODE_COLUMNS = [
  'id',
  'deployment_id',
  'blueprint_id',
  'host_id',
  'type',
  'number_of_instances',
  'planned_number_of_instances',
  'actual_number_of_instances',
  'actual_planned_number_of_instances',
  'visibility',
  'tenant_name',
  'created_by',
];

export async function run(c: Ctx, o: ListOpts & { deploymentId?: string }): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(o.deploymentId ? `Listing nodes for deployment ${o.deploymentId}...` : 'Listing all nodes...');
  const r = await client.nodes.list(listParams(o, { deployment_id: o.deploymentId }));
  c.out.table('Nodes:', NODE_COLUMNS, r.items, { total: r.metadata.pagination.total, what: 'nodes' });
}
