// `cfy config list|update`: GET /config and PUT /config/{[scope.]name}, with 5.1's lines.
import type { Ctx } from '../../context.js';
import { parseInputs } from '../../inputs.js';

const COLUMNS = ['name', 'value', 'scope', 'updated_at', 'is_editable'];

export async function list(c: Ctx): Promise<void> {
  const r = await c.client().config.list();
  c.out.table('Config:', COLUMNS, r.items);
}

export async function update(c: Ctx, _o: unknown, inputs: string[]): Promise<void> {
  const client = c.client();
  for (const [name, value] of Object.entries(parseInputs(inputs))) {
    const updated = await client.config.put(name, value);
    c.out.info(`Updated ${name} to ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    if (updated.scope === 'rest' || updated.scope === 'mgmtworker')
      c.out.info(
        `Updating ${updated.scope} config will only take effect after the service has been restarted`,
      );
    else if (updated.scope === 'agent')
      c.out.info(
        'Updating agent config will only take effect for agents installed from now on. It will NOT update existing agents.',
      );
  }
}
