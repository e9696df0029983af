import type { Ctx } from '../../context.js';
import { INSTANCE_COLUMNS } from './instances-list.js';

export async function run(c: Ctx, o: { tenantName?: string }, id: string): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Retrieving node instance ${id}`);
  const ni = await client.nodeInstances.get(id);
  if (c.out.json)
    return c.out.single('Node-instance:', INSTANCE_COLUMNS, ni, {
      runtime_properties: ni.runtime_properties ?? {},
    });
  c.out.single('Node-instance:', INSTANCE_COLUMNS, ni);
  c.out.details('Instance runtime properties:', ni.runtime_properties ?? {});
}
