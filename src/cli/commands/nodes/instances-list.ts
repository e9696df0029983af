import type { Ctx } from '../../context.js';
import { type ListOpts, listParams } from '../shared.js';

export const INSTANCE_COLUMNS = [
  'id',
  'deployment_id',
  'host_id',
  'node_id',
  'state',
  'visibility',
  'tenant_name',
  'created_by',
];

export async function run(c: Ctx, o: ListOpts & { deploymentId?: string; nodeName?: string }): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(
    o.deploymentId ? `Listing instances for deployment ${o.deploymentId}...` : 'Listing all instances...',
  );
  const r = await client.nodeInstances.list(
    listParams(o, { deployment_id: o.deploymentId, node_id: o.nodeName }),
  );
  c.out.table('Node-instances:', INSTANCE_COLUMNS, r.items, {
    total: r.metadata.pagination.total,
    what: 'node instances',
  });
}
