import type { Ctx } from '../../context.js';
import { EXECUTION_GET_COLUMNS } from './columns.js';

export async function run(c: Ctx, o: { tenantName?: string }, id: string): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Retrieving execution ${id}`);
  const ex = await client.executions.get(id);
  if (c.out.json)
    return c.out.single('Execution:', EXECUTION_GET_COLUMNS, ex, { parameters: ex.parameters ?? {} });
  c.out.single('Execution:', EXECUTION_GET_COLUMNS, ex);
  const params = Object.entries(ex.parameters ?? {})
    .map(([k, v]) => `\t${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n');
  c.out.print(`Execution Parameters:\n${params}\n`);
}
