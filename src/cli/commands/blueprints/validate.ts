// `cfy blueprints validate PATH`: parse the blueprint with the DSL locally, through the same folder
// resolver as the manager's upload (src/dsl-fs): imports are read from the blueprint's folder only and
// Cloudify spec URLs resolve to the bundled types (no network).
import { join } from 'node:path';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { classify } from './archive.js';

export async function validateLocally(c: Ctx, dir: string, mainFile: string): Promise<void> {
  c.out.info(`Validating blueprint: ${join(dir, mainFile)}`);
  await parseLocal(dir, mainFile);
  c.out.info('Blueprint validated successfully');
}

async function parseLocal(dir: string, mainFile: string): Promise<void> {
  const [{ parseBlueprintDir }, { DslError }] = await Promise.all([
    import('../../../dsl-fs/resolver.js'),
    import('../../../dsl/index.js'),
  ]);
  try {
    // As the manager parses an upload (src/entry/manager.ts): resources_base_path is the blueprint's root.
    parseBlueprintDir(dir, mainFile, { resourcesBasePath: '.' });
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
