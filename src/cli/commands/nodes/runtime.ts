// `node-instances update-runtime|delete-runtime`: read the instance (for its version), change the
// runtime properties at dot paths, PATCH them back with that version.
import YAML from 'yaml';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

type Props = Record<string, unknown>;

function setPath(obj: Props, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== 'object' || cur[k] === null || Array.isArray(cur[k])) cur[k] = {};
    cur = cur[k] as Props;
  }
  cur[keys.at(-1)!] = value;
}

function deletePath(obj: Props, path: string): boolean {
  const keys = path.split('.');
  let cur: unknown = obj;
  for (const k of keys.slice(0, -1)) {
    cur = (cur as Props)?.[k];
    if (typeof cur !== 'object' || cur === null) return false;
  }
  const last = keys.at(-1)!;
  if (!(last in (cur as Props))) return false;
  delete (cur as Props)[last];
  return true;
}

export async function update(
  c: Ctx,
  o: { properties: string[]; tenantName?: string },
  id: string,
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  const ni = await client.nodeInstances.get(id);
  const props: Props = structuredClone(ni.runtime_properties ?? {});
  for (const kv of o.properties) {
    const i = kv.indexOf('=');
    if (i <= 0) throw usageError(`Invalid property "${kv}": expected key=value`, 'e.g. -p a.b.c=value');
    const raw = kv.slice(i + 1);
    let value: unknown = raw;
    try {
      value = YAML.parse(raw);
    } catch {
      value = raw;
    }
    setPath(props, kv.slice(0, i), value ?? raw);
  }
  await client.nodeInstances.update(id, { version: ni.version, runtimeProperties: props });
  c.out.info(`Runtime properties of node instance ${id} updated`);
}

export async function remove(
  c: Ctx,
  o: { properties: string[]; tenantName?: string },
  id: string,
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  const ni = await client.nodeInstances.get(id);
  const props: Props = structuredClone(ni.runtime_properties ?? {});
  for (const key of o.properties)
    if (!deletePath(props, key)) c.out.warn(`Node instance ${id} has no runtime property ${key}`);
  await client.nodeInstances.update(id, { version: ni.version, runtimeProperties: props });
  c.out.info(`Runtime properties of node instance ${id} deleted`);
}
