// `cfy cluster brokers get | add | remove | update` (cfy-cli.md A.7): the broker rows of the cluster
// registry. The RabbitMQ node itself is joined or removed with `cfy_manager brokers add|remove`.
import type { Ctx } from '../../context.js';
import { CliError, usageError } from '../../errors.js';

export const BROKER_COLUMNS = ['name', 'port', 'networks', 'is_external', 'host'];
const DEFAULT_BROKER_PORT = 5671;

const FORMAT = 'Give networks as NAME=ADDRESS[,NAME=ADDRESS…] or as a JSON object, e.g. -n lb=192.168.0.5';

/** `-n` values (repeatable): a JSON object or NAME=ADDRESS pairs, merged in order. */
export function parseNetworks(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const text = v.trim();
    if (text.startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        throw usageError(`The networks "${text}" are not valid JSON`, FORMAT);
      }
      for (const [k, a] of Object.entries(obj as Record<string, unknown>)) {
        if (typeof a !== 'string' || !a || !k)
          throw usageError(`Network "${k}" needs an address string`, FORMAT);
        out[k] = a;
      }
      continue;
    }
    for (const pair of text.split(',')) {
      const i = pair.indexOf('=');
      const [k, a] = [pair.slice(0, i).trim(), pair.slice(i + 1).trim()];
      if (i < 0 || !k || !a) throw usageError(`"${pair}" is not a NAME=ADDRESS network`, FORMAT);
      out[k] = a;
    }
  }
  return out;
}

const plain = (r: Record<string, unknown>) => ({
  ...r,
  networks: r.networks && typeof r.networks === 'object' ? Object.keys(r.networks as object) : r.networks,
});

export async function get(c: Ctx, _o: unknown, name: string): Promise<void> {
  const broker = await c.client().manager.getBroker(name);
  if (!broker)
    throw new CliError(`No broker named ${name} is registered`, { fix: 'See `cfy cluster brokers list`' });
  c.out.single('HA Cluster broker', BROKER_COLUMNS, plain(broker));
}

export async function add(
  c: Ctx,
  o: { port?: number; networks?: string[] },
  name: string,
  address: string,
): Promise<void> {
  const given = parseNetworks(o.networks);
  // The manager wants the address among the networks given: networks without it get it as `default`.
  const networks = given && !Object.values(given).includes(address) ? { default: address, ...given } : given;
  await c.client().manager.addBroker(name, address, o.port ?? DEFAULT_BROKER_PORT, networks);
  c.out.info(`Broker ${name} was added successfully!`);
}

export async function remove(c: Ctx, _o: unknown, name: string): Promise<void> {
  await c.client().manager.removeBroker(name);
  c.out.info(`Broker ${name} was removed successfully!`);
}

export async function update(c: Ctx, o: { networks?: string[] }, name: string): Promise<void> {
  const networks = parseNetworks(o.networks);
  if (!networks) throw usageError('Nothing to update: give the networks to add with -n', FORMAT);
  await c.client().manager.updateBroker(name, networks);
  c.out.info(`Broker ${name} was updated successfully!`);
}
