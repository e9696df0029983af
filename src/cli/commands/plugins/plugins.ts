// `cfy plugins` actions, with 5.1's messages and columns (cloudify_cli/commands/plugins.py).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Plugin, Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { zipEntries } from '../../zip.js';
import { type ListOpts, listParams } from '../shared.js';

const COLUMNS = [
  'id',
  'package_name',
  'package_version',
  'installed on',
  'distribution',
  'distribution_release',
  'uploaded_at',
  'visibility',
  'tenant_name',
  'created_by',
  'yaml_url_path',
];
const GET_DATA_COLUMNS = ['file_server_path', 'supported_platform', 'supported_py_versions'];

/** 5.1's "installed on" cell: how many managers and agents have it, and errors. */
function installedOn(p: Plugin): string {
  let managers = 0;
  let agents = 0;
  let errors = 0;
  for (const s of p.installation_state ?? []) {
    if (s.state === 'error') errors++;
    else if (s.state !== 'installed') continue;
    if (s.manager) managers++;
    else if (s.agent) agents++;
  }
  return [
    managers ? `${managers} managers` : '',
    agents ? `${agents} agents` : '',
    errors ? `${errors} errors` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function readLocal(path: string, what: string): Buffer {
  if (!existsSync(path))
    throw usageError(`The ${what} ${path} does not exist`, `give the path of the ${what}`);
  return readFileSync(path);
}

export async function upload(
  c: Ctx,
  o: {
    yamlPath: string;
    iconPath?: string;
    title?: string;
    privateResource?: boolean;
    visibility: Visibility;
    tenantName?: string;
  },
  pluginPath: string,
): Promise<void> {
  c.out.info('Creating plugin zip archive..');
  const entries = [
    { name: basename(pluginPath), data: readLocal(pluginPath, 'wagon') },
    { name: basename(o.yamlPath), data: readLocal(o.yamlPath, 'plugin YAML') },
  ];
  if (o.iconPath) entries.push({ name: 'icon.png', data: readLocal(o.iconPath, 'icon') });
  const visibility: Visibility = o.privateResource ? 'private' : o.visibility;
  c.out.info(`Uploading plugin archive (wagon + yaml${o.iconPath ? ' + icon' : ''})..`);
  const p = await c.client({ tenant: o.tenantName }).plugins.upload(zipEntries(entries), {
    title: o.title,
    visibility,
  });
  c.out.info(`Plugin uploaded. Plugin's id is ${p.id}`);
  if (c.out.json) c.out.jsonValue(p);
}

export async function list(c: Ctx, o: ListOpts & { getData?: boolean }): Promise<void> {
  c.out.info('Listing all plugins...');
  const r = await c
    .client({ tenant: o.tenantName })
    .plugins.list(listParams({ ...o, sortBy: o.sortBy ?? 'uploaded_at' }), o.getData);
  const rows = r.items.map((p) => ({ ...p, 'installed on': installedOn(p) }));
  const columns = [...COLUMNS, ...(o.getData ? GET_DATA_COLUMNS : [])];
  if (c.out.json) columns.push('installation_state');
  c.out.table('Plugins:', columns, rows, { total: r.metadata.pagination.total, what: 'plugins' });
}

export async function get(c: Ctx, o: { getData?: boolean; tenantName?: string }, id: string): Promise<void> {
  c.out.info(`Retrieving plugin ${id}...`);
  const p = await c.client({ tenant: o.tenantName }).plugins.get(id, o.getData);
  const row: Record<string, unknown> = { ...p, 'installed on': installedOn(p) };
  const columns = [...COLUMNS, ...(o.getData ? GET_DATA_COLUMNS : [])];
  if (c.out.json) {
    c.out.single('Plugin:', [...columns, 'installation_state'], row);
    return;
  }
  c.out.details('Plugin:', Object.fromEntries(columns.map((k) => [k, row[k] ?? null])));
  const states: Record<string, unknown> = {};
  for (const s of p.installation_state ?? []) {
    if (s.manager) states[`Manager ${s.manager}`] = s.state;
    else if (s.agent) states[`Agent ${s.agent}`] = s.state;
  }
  c.out.details('Plugin installation state:', states);
}

export async function download(
  c: Ctx,
  o: { outputPath?: string; tenantName?: string },
  id: string,
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Downloading plugin ${id}...`);
  // 5.1 writes the file the manager names: <id>.tar.gz.
  const name = o.outputPath ?? `${id}.tar.gz`;
  const bytes = await client.plugins.download(id);
  const out = resolve(name);
  writeFileSync(out, bytes);
  c.out.info(`Plugin downloaded as ${out}`);
  if (c.out.json) c.out.jsonValue({ id, path: out });
}

export async function remove(c: Ctx, o: { force?: boolean; tenantName?: string }, id: string): Promise<void> {
  c.out.info(`Deleting plugin ${id}...`);
  await c.client({ tenant: o.tenantName }).plugins.delete(id, Boolean(o.force));
  c.out.info('Plugin deleted');
}
