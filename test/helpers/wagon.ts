// Builds small wagons for tests, as `wagon create` lays them out: a tar.gz (or zip) with one top-level
// directory holding package.json and wheels/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { zipEntries } from '../../src/cli/zip.js';

export interface WagonSpec {
  name: string;
  version: string;
  distribution?: string;
  /** Leave package.json out (a broken wagon). */
  noPackageJson?: boolean;
  format?: 'tar.gz' | 'zip';
  /** Another archive_name than the usual one. */
  archiveName?: string;
}

export const archiveNameOf = (w: WagonSpec) =>
  w.archiveName ??
  `${w.name.replace(/-/g, '_')}-${w.version}-py3-none-linux_x86_64-${w.distribution ?? 'centos'}-Core.wgn`;

export function packageJson(w: WagonSpec): Record<string, unknown> {
  return {
    package_name: w.name,
    package_version: w.version,
    archive_name: archiveNameOf(w),
    package_source: w.name,
    supported_platform: 'linux_x86_64',
    build_server_os_properties: {
      distribution: w.distribution ?? 'centos',
      distribution_version: '7.9',
      distribution_release: 'Core',
    },
    wheels: [`${w.name.replace(/-/g, '_')}-${w.version}-py3-none-any.whl`],
    excluded_wheels: [],
    supported_python_versions: ['py3'],
    wagon_version: '0.10.1',
  };
}

/** The wagon's bytes. */
export async function buildWagon(w: WagonSpec): Promise<Buffer> {
  const top = w.name.replace(/-/g, '_');
  const wheel = `${top}-${w.version}-py3-none-any.whl`;
  const pkg = w.noPackageJson ? undefined : JSON.stringify(packageJson(w), null, 2);
  if (w.format === 'zip') {
    return zipEntries([
      ...(pkg ? [{ name: `${top}/package.json`, data: Buffer.from(pkg) }] : []),
      { name: `${top}/wheels/${wheel}`, data: Buffer.from('not really a wheel') },
    ]);
  }
  const dir = mkdtempSync(join(tmpdir(), 'wagon-'));
  try {
    mkdirSync(join(dir, top, 'wheels'), { recursive: true });
    if (pkg) writeFileSync(join(dir, top, 'package.json'), pkg);
    writeFileSync(join(dir, top, 'wheels', wheel), Buffer.alloc(3000, 7));
    const out = join(dir, 'out.wgn');
    await tarCreate({ gzip: true, file: out, cwd: dir, portable: true }, [top]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A plugin.yaml declaring plugin `short` and a node type that uses it. */
export const pluginYaml = (w: WagonSpec, short: string, typeName = `${short}.nodes.Server`) => `
plugins:
  ${short}:
    executor: central_deployment_agent
    package_name: ${w.name}
    package_version: '${w.version}'
node_types:
  ${typeName}:
    derived_from: cloudify.nodes.Root
    properties:
      flavor: {type: string, default: small}
    interfaces:
      cloudify.interfaces.lifecycle:
        create: ${short}.${short}_plugin.server.create
`;

/** The zip `cfy plugins upload -y plugin.yaml x.wgn` sends: the wagon and the YAML side by side. */
export async function pluginZip(w: WagonSpec, yaml: string, yamlName = 'plugin.yaml'): Promise<Buffer> {
  return zipEntries([
    { name: archiveNameOf(w), data: await buildWagon(w) },
    { name: yamlName, data: Buffer.from(yaml) },
  ]);
}
