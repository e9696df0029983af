// Reading a plugin upload (rest-api.md §1.8): either a wagon alone, or a zip holding one wagon (`*.wgn`),
// one plugin YAML (`*.yaml`) and optionally `icon.png`, as `cfy plugins upload` builds it. A wagon is a
// tar.gz (or zip) with one top-level directory holding `package.json` (the metadata: package_name,
// package_version, archive_name, build_server_os_properties, wheels, …) and `wheels/`.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CloudifyError, invalidPlugin } from '../../common/errors.js';
import { type ArchiveLimits, ArchiveError, detectKind, extractArchive } from '../blueprints/archive.js';

/** The wagon's package.json, as Cloudify reads it (`wagon.show`). */
export interface WagonMeta {
  package_name: string;
  package_version: string;
  archive_name: string;
  package_source: string | null;
  supported_platform: string | null;
  distribution: string | null;
  distribution_version: string | null;
  distribution_release: string | null;
  wheels: unknown[];
  excluded_wheels: unknown;
  supported_py_versions: unknown;
}

export interface PluginUpload {
  /** The wagon file (inside the scratch dir). */
  wagon: string;
  meta: WagonMeta;
  /** The plugin YAML, when the upload was a zip with one. */
  yaml: { name: string; text: string } | null;
  /** icon.png from the zip, if any. */
  icon: Buffer | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v == null ? null : String(v));

/** Reads package.json from an extracted wagon's top-level directory. */
async function wagonMeta(root: string): Promise<WagonMeta> {
  const text = await readFile(join(root, 'package.json'), 'utf8').catch(() => undefined);
  if (text === undefined)
    throw invalidPlugin('The provided wagon archive can not be read: it has no package.json');
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(text);
  } catch (e) {
    throw invalidPlugin(`The provided wagon archive can not be read: package.json: ${(e as Error).message}`);
  }
  if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg))
    throw invalidPlugin('The provided wagon archive can not be read: package.json is not a JSON object');
  for (const k of ['package_name', 'package_version'] as const) {
    if (typeof pkg[k] !== 'string' || pkg[k] === '')
      throw invalidPlugin(`The provided wagon archive can not be read: package.json has no ${k}`);
  }
  const build = (pkg.build_server_os_properties ?? {}) as Record<string, unknown>;
  const archiveName = str(pkg.archive_name) ?? `${pkg.package_name}-${pkg.package_version}.wgn`;
  // The file is stored under this name: a plain file name only.
  if (!/^[^/\\\0]+$/.test(archiveName) || archiveName === '.' || archiveName === '..')
    throw invalidPlugin(`The provided wagon archive can not be read: bad archive_name "${archiveName}"`);
  return {
    package_name: pkg.package_name as string,
    package_version: pkg.package_version as string,
    archive_name: archiveName,
    package_source: str(pkg.package_source),
    supported_platform: str(pkg.supported_platform),
    distribution: str(build.distribution),
    distribution_version: str(build.distribution_version),
    distribution_release: str(build.distribution_release),
    wheels: Array.isArray(pkg.wheels) ? pkg.wheels : [],
    excluded_wheels: pkg.excluded_wheels ?? null,
    supported_py_versions: pkg.supported_python_versions ?? null,
  };
}

/** Extracts `file` into `dest` when it is an archive; undefined when it is not one we read. */
async function extract(file: string, dest: string, limits: ArchiveLimits, scratch: string) {
  const kind = await detectKind(file);
  if (kind === undefined || kind === 'yaml') return undefined;
  try {
    return { kind, root: await extractArchive(file, kind, dest, limits, scratch) };
  } catch (e) {
    if (e instanceof ArchiveError) {
      if (e.limit) throw new CloudifyError(413, 'payload_too_large_error', e.message);
      throw invalidPlugin(`The plugin archive can not be read: ${e.message}`);
    }
    throw e;
  }
}

const hasPackageJson = async (root: string) =>
  (await lstat(join(root, 'package.json')).catch(() => undefined))?.isFile() === true;

/** Reads an upload saved at `file`, extracting into `work` (an empty scratch dir). */
export async function readPluginUpload(
  file: string,
  work: string,
  limits: ArchiveLimits,
): Promise<PluginUpload> {
  const outer = await extract(file, join(work, 'outer'), limits, work);
  if (!outer) throw invalidPlugin('input can be only a wagon or a zip file.');
  // A wagon on its own (Cloudify accepts one without a YAML).
  if (await hasPackageJson(outer.root))
    return { wagon: file, meta: await wagonMeta(outer.root), yaml: null, icon: null };
  if (outer.kind !== 'zip') throw invalidPlugin('input can be only a wagon or a zip file.');
  const names = (await readdir(outer.root)).sort();
  const wagons = names.filter((n) => n.endsWith('.wgn'));
  const yamls = names.filter((n) => n.endsWith('.yaml'));
  if (wagons.length !== 1 || yamls.length !== 1) {
    throw invalidPlugin(
      `Archive must include one wgn file and one yaml file (found ${wagons.length} .wgn and ${yamls.length} .yaml)`,
    );
  }
  const yamlName = yamls[0];
  const yaml = await readPluginYaml(join(outer.root, yamlName), yamlName);
  const wagon = join(outer.root, wagons[0]);
  const inner = await extract(wagon, join(work, 'wagon'), limits, work);
  if (!inner)
    throw invalidPlugin(`The provided wagon archive can not be read: ${wagons[0]} is not a tar.gz or zip`);
  const icon = names.includes('icon.png') ? await readFile(join(outer.root, 'icon.png')) : null;
  return { wagon, meta: await wagonMeta(inner.root), yaml, icon };
}

/** The plugin YAML must be a YAML mapping (blueprints import it as one). */
async function readPluginYaml(path: string, name: string): Promise<{ name: string; text: string }> {
  const text = await readFile(path, 'utf8');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    throw invalidPlugin(`The plugin YAML ${name} is not valid YAML: ${first}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw invalidPlugin(`The plugin YAML ${name} is not a YAML mapping: give the plugin's plugin.yaml`);
  return { name, text };
}
