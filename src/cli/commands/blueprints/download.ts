import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';

export async function run(
  c: Ctx,
  o: { outputPath?: string; tenantName?: string },
  id: string,
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Downloading blueprint ${id}...`);
  const bytes = await client.blueprints.download(id);
  const out = resolve(o.outputPath ?? `${id}.tar.gz`);
  writeFileSync(out, bytes);
  c.out.info(`Blueprint downloaded as ${out}`);
  if (c.out.json) c.out.jsonValue({ id, path: out });
}
