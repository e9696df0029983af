// `cfy blueprints validate PATH`: parse the blueprint with the DSL locally; imports are read from the
// blueprint's folder and Cloudify spec URLs resolve to the bundled types (no network).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { classify } from './archive.js';

export async function validateLocally(c: Ctx, dir: string, mainFile: string): Promise<void> {
  c.out.info(`Validating blueprint: ${join(dir, mainFile)}`);
  await parseLocal(dir, mainFile);
  c.out.info('Blueprint validated successfully');
}

export async function parseLocal(dir: string, mainFile: string): Promise<void> {
  const { parseBlueprint, DslError } = await import('../../../dsl/index.js');
  const resolver = {
    read(location: string): string | undefined {
      const rel = location.startsWith('file:') ? location.slice(5).replace(/^\/\//, '') : location;
      if (/^[a-z]+:/i.test(rel)) return undefined;
      const p = resolve(dir, rel);
      return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
    },
  };
  try {
    parseBlueprint({ mainFile, resolver, resourcesBasePath: dir });
  } catch (e) {
    if (e instanceof DslError) throw new CliError(`Failed to validate blueprint: ${e.message}`);
    throw e;
  }
}

export async function run(c: Ctx, o: { blueprintFilename?: string }, path: string): Promise<void> {
  const src = classify(path, o.blueprintFilename);
  if (src.kind !== 'dir') throw new CliError('Only a blueprint file or directory can be validated locally');
  await validateLocally(c, src.dir, src.mainFile);
}
