// `cfy blueprints inputs ID`: name, type, default and description of each input of the plan.
import type { Ctx } from '../../context.js';

export async function run(c: Ctx, o: { tenantName?: string }, id: string): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Retrieving inputs for blueprint ${id}...`);
  const bp = await client.blueprints.get(id);
  const inputs = Object.entries(bp.plan?.inputs ?? {}).map(([name, i]) => ({
    name,
    type: i.type ?? '-',
    default:
      i.default === undefined ? '-' : typeof i.default === 'object' ? JSON.stringify(i.default) : i.default,
    description: i.description ?? '-',
  }));
  c.out.table('Inputs:', ['name', 'type', 'default', 'description'], inputs, { what: 'inputs' });
}
