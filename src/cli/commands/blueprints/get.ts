// `cfy blueprints get ID`: the blueprint, its number of deployments, description and deployment ids.
import type { Ctx } from '../../context.js';
import { BLUEPRINT_COLUMNS } from './columns.js';

export async function run(c: Ctx, o: { tenantName?: string }, id: string): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Retrieving blueprint ${id}...`);
  const bp = await client.blueprints.get(id);
  const deps = await client.deployments.list({ filters: { blueprint_id: id }, include: ['id'] });
  const ids = deps.items.map((d) => d.id);
  const row = { ...bp, '#deployments': ids.length };
  if (c.out.json) {
    c.out.single('Blueprint:', [...BLUEPRINT_COLUMNS, '#deployments'], row, {
      description: bp.description ?? null,
      metadata: (bp.plan as Record<string, unknown> | undefined)?.metadata ?? null,
      deployments: ids,
    });
    return;
  }
  c.out.single('Blueprint:', [...BLUEPRINT_COLUMNS.filter((k) => k !== 'description'), '#deployments'], row);
  c.out.print(`Description:\n${bp.description ?? ''}\n`);
  c.out.print(`Existing deployments:\n${JSON.stringify(ids)}\n`);
}
