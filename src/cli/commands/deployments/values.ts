// `cfy deployments inputs|outputs|capabilities ID`: ` - "name":` blocks with Description and Value;
// JSON is {name: {value, description}}.
import type { Ctx } from '../../context.js';

interface Item {
  value: unknown;
  description: string | null;
}

function show(c: Ctx, title: string, items: Record<string, Item>): void {
  if (c.out.json) {
    c.out.jsonValue(items);
    return;
  }
  const lines = Object.entries(items).map(([name, it]) => {
    const desc = it.description ? `     Description: ${it.description}\n` : '';
    const v = typeof it.value === 'object' && it.value !== null ? JSON.stringify(it.value) : String(it.value);
    return ` - "${name}":\n${desc}     Value: ${v}`;
  });
  c.out.print(`${title}\n${lines.join('\n')}\n`);
}

const describe = (defs: Record<string, { description?: string }> | undefined, name: string) =>
  defs?.[name]?.description ?? null;

type Opts = { tenantName?: string };

export const runners = {
  inputs: async (c: Ctx, o: Opts, id: string) => {
    const client = c.client({ tenant: o.tenantName });
    c.out.info(`Retrieving inputs for deployment ${id}...`);
    const dep = await client.deployments.get(id);
    let defs: Record<string, { description?: string }> | undefined;
    try {
      defs = (await client.blueprints.get(dep.blueprint_id)).plan?.inputs;
    } catch {
      defs = undefined;
    }
    const items = Object.fromEntries(
      Object.entries(dep.inputs ?? {}).map(([k, v]) => [k, { value: v, description: describe(defs, k) }]),
    );
    show(c, 'Deployment inputs:', items);
  },
  outputs: async (c: Ctx, o: Opts, id: string) => {
    const client = c.client({ tenant: o.tenantName });
    c.out.info(`Retrieving outputs for deployment ${id}...`);
    const dep = await client.deployments.get(id);
    const r = await client.deployments.outputs(id);
    const items = Object.fromEntries(
      Object.entries(r.outputs ?? {}).map(([k, v]) => [
        k,
        { value: v, description: describe(dep.outputs, k) },
      ]),
    );
    show(c, 'Deployment outputs:', items);
  },
  capabilities: async (c: Ctx, o: Opts, id: string) => {
    const client = c.client({ tenant: o.tenantName });
    c.out.info(`Retrieving capabilities for deployment ${id}...`);
    const dep = await client.deployments.get(id);
    const r = await client.deployments.capabilities(id);
    const items = Object.fromEntries(
      Object.entries(r.capabilities ?? {}).map(([k, v]) => [
        k,
        { value: v, description: describe(dep.capabilities, k) },
      ]),
    );
    show(c, 'Deployment capabilities:', items);
  },
};
