import type { Ctx } from '../../context.js';
import { type ListOpts, listParams } from '../shared.js';
import { BLUEPRINT_COLUMNS } from './columns.js';

export async function run(c: Ctx, o: ListOpts): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info('Listing all blueprints...');
  const r = await client.blueprints.list(listParams(o));
  c.out.table('Blueprints:', BLUEPRINT_COLUMNS, r.items, {
    total: r.metadata.pagination.total,
    what: 'blueprints',
  });
}
