// Turning what the user gave `blueprints upload` into what the manager takes: a directory or a YAML
// file becomes a tar.gz with one top-level folder named after the main file's stem (as the Python
// client builds it); an archive is sent as is; a URL is published by the manager itself.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import * as tar from 'tar';
import { usageError } from '../../errors.js';

export const DEFAULT_BLUEPRINT_FILE = 'blueprint.yaml';
const ARCHIVE = /\.(zip|tar|tar\.gz|tgz|tar\.bz2|tbz2)$/i;

export type BlueprintSource =
  | { kind: 'url'; url: string; mainFile: string; defaultId: string }
  | { kind: 'archive'; path: string; mainFile: string; defaultId: string }
  | { kind: 'dir'; dir: string; mainFile: string; defaultId: string };

const cleanId = (s: string) => s.replace(/_/g, '-');

/** blueprint.generate_id: the folder's name, plus `.stem` for a non-default main file; `_` → `-`. */
export function generateId(dir: string, mainFile: string): string {
  let id = basename(resolve(dir));
  if (mainFile !== DEFAULT_BLUEPRINT_FILE) id += `.${basename(mainFile, extname(mainFile))}`;
  return cleanId(id);
}

export function classify(path: string, fileName?: string): BlueprintSource {
  if (/^https?:\/\//.test(path)) {
    const last = new URL(path).pathname.split('/').filter(Boolean).at(-1) ?? 'blueprint';
    return {
      kind: 'url',
      url: path,
      mainFile: fileName ?? DEFAULT_BLUEPRINT_FILE,
      defaultId: cleanId(last.replace(ARCHIVE, '')),
    };
  }
  const abs = resolve(path);
  if (!existsSync(abs))
    throw usageError(
      `Path ${path} does not exist`,
      'give a blueprint YAML file, a directory, an archive or a URL',
    );
  if (statSync(abs).isDirectory()) {
    const mainFile = fileName ?? DEFAULT_BLUEPRINT_FILE;
    if (!existsSync(resolve(abs, mainFile)))
      throw usageError(
        `The directory ${path} has no ${mainFile}`,
        'name the main file with -n/--blueprint-filename',
      );
    return { kind: 'dir', dir: abs, mainFile, defaultId: generateId(abs, mainFile) };
  }
  if (ARCHIVE.test(abs))
    return {
      kind: 'archive',
      path: abs,
      mainFile: fileName ?? DEFAULT_BLUEPRINT_FILE,
      defaultId: cleanId(basename(abs).replace(ARCHIVE, '')),
    };
  if (!/\.ya?ml$/i.test(abs))
    throw usageError(
      `${path} is not a blueprint: expected a .yaml file, a directory or an archive (zip, tar, tar.gz, tar.bz2)`,
    );
  const dir = dirname(abs);
  const mainFile = basename(abs);
  return { kind: 'dir', dir, mainFile, defaultId: generateId(dir, mainFile) };
}

/** tar.gz of the blueprint folder under one top-level folder named after the main file's stem. */
export async function buildArchive(dir: string, mainFile: string): Promise<Buffer> {
  const entries = readdirSync(dir).filter((f) => !f.startsWith('.') || f === '.cloudify');
  const stream = tar.create(
    { gzip: true, cwd: dir, prefix: basename(mainFile, extname(mainFile)), portable: true },
    entries,
  );
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export async function archiveBytes(src: BlueprintSource): Promise<Buffer> {
  if (src.kind === 'archive') return readFileSync(src.path);
  if (src.kind === 'dir') return buildArchive(src.dir, src.mainFile);
  throw new Error('a URL has no local archive');
}
