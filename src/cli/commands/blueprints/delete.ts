import type { Ctx } from '../../context.js';

export async function run(c: Ctx, o: { force?: boolean; tenantName?: string }, id: string): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Deleting blueprint ${id}...`);
  await client.blueprints.delete(id, Boolean(o.force));
  c.out.info('Blueprint deleted');
}
