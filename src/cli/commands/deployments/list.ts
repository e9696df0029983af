import type { Ctx } from '../../context.js';
import { type ListOpts, listParams } from '../shared.js';

export const DEPLOYMENT_COLUMNS = [
  'id',
  'blueprint_id',
  'created_at',
  'updated_at',
  'visibility',
  'tenant_name',
  'created_by',
  'site_name',
];

export async function run(c: Ctx, o: ListOpts & { blueprintId?: string }): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(
    o.blueprintId ? `Listing deployments for blueprint ${o.blueprintId}...` : 'Listing all deployments...',
  );
  const r = await client.deployments.list(listParams(o, { blueprint_id: o.blueprintId }));
  c.out.table('Deployments:', DEPLOYMENT_COLUMNS, r.items, {
    total: r.metadata.pagination.total,
    what: 'deployments',
  });
}
