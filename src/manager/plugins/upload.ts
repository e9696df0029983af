// The plugin upload (rest-api.md §1.8): the bytes (raw body, a multipart file part, or fetched from
// plugin_archive_url) into a scratch dir, read as a wagon or a zip of wagon + YAML (wagon.ts), checked
// against the tenant's plugins, then stored: the row and the wagon's chunks in one transaction, and this
// manager's local copy under resources/plugins/<id>/ (Cloudify's file-server layout).
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { badParameters, conflict, forbidden, invalidPlugin } from '../../common/errors.js';
import { sqlState } from '../../store/port.js';
import { archiveTaken, insertPlugin, type PluginVisibility } from '../../store/repositories/plugins.js';
import { hasPermission } from '../auth/permissions.js';
import { type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { newWorkDir, saveStream } from '../blueprints/upload.js';
import { readPluginUpload } from './wagon.js';

export interface PluginUploadQuery {
  title?: string;
  visibility?: string;
  private_resource?: boolean;
  plugin_archive_url?: string;
}

const MB = 1024 * 1024;
const VISIBILITIES: readonly string[] = ['private', 'tenant', 'global'];

/** The directory of a plugin's files on this manager's file server. */
export const pluginDir = (ctx: ManagerContext, id: string) => join(ctx.resourcesDir, 'plugins', id);

/** Saves the request's archive to `file`; true when there was one. */
async function receive(req: FastifyRequest, file: string, max: number): Promise<boolean> {
  if (req.isMultipart()) {
    let got = false;
    for await (const part of req.parts()) {
      if (part.type !== 'file') continue;
      if (got) throw badParameters('Send one plugin archive per upload');
      await saveStream(part.file, file, max, 'The plugin archive');
      got = true;
    }
    return got;
  }
  const body = req.body;
  if (Buffer.isBuffer(body) && body.length > 0) {
    await writeFile(file, body);
    return true;
  }
  return false;
}

async function fetchArchive(url: string, file: string, max: number): Promise<void> {
  if (!/^https?:\/\//i.test(url))
    throw badParameters(`plugin_archive_url must be an http or https URL, got "${url}"`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw badParameters(`Cannot fetch ${url}: ${cause ?? (e as Error).message}`);
  }
  if (!res.ok || !res.body) throw badParameters(`Cannot fetch ${url}: HTTP ${res.status}`);
  await saveStream(
    Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
    file,
    max,
    `The plugin archive at ${url}`,
  );
}

function visibilityOf(req: FastifyRequest, q: PluginUploadQuery): PluginVisibility {
  if (q.private_resource !== undefined && q.visibility)
    throw badParameters('The `private_resource` and `visibility` parameters cannot be used together');
  const given = q.visibility ?? 'tenant';
  if (!VISIBILITIES.includes(given)) {
    throw badParameters(
      `Invalid visibility \`${given}\`. Valid visibility's values are: private, tenant, global`,
    );
  }
  const v = (q.private_resource && q.visibility === undefined ? 'private' : given) as PluginVisibility;
  if (v === 'global' && !hasPermission(req.auth.roles, 'create_global_resource'))
    throw forbidden(`User \`${req.auth.user.username}\` is not permitted to create a global resource`);
  return v;
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Runs one upload; returns the new plugin's id. */
export async function uploadPlugin(
  ctx: ManagerContext,
  req: FastifyRequest,
  q: PluginUploadQuery,
): Promise<string> {
  const tenant = tenantOf(req);
  const visibility = visibilityOf(req, q);
  const max = ctx.config.blueprintMaxSizeMb * MB;
  const work = await newWorkDir(ctx.resourcesDir);
  try {
    const file = join(work, 'upload');
    const got = await receive(req, file, max);
    if (q.plugin_archive_url !== undefined && got) {
      throw badParameters(
        "Can't pass both a plugin URL via query parameters, request body, multi-form and chunked.",
      );
    }
    if (q.plugin_archive_url !== undefined) await fetchArchive(q.plugin_archive_url, file, max);
    else if (!got) {
      throw invalidPlugin(
        'No plugin archive in the request: send the wagon (or a zip of the wagon and its plugin.yaml) as the body, or give plugin_archive_url',
      );
    }
    const up = await readPluginUpload(file, work, { maxBytes: max * 4, maxFiles: 10_000 });
    const { meta } = up;
    if (await archiveTaken(ctx.db, scopeOf(req), meta.package_name, meta.archive_name)) {
      throw conflict(
        `a plugin archive by the name of ${meta.archive_name} already exists for package with name ${meta.package_name} and version ${meta.package_version}`,
      );
    }
    const id = randomUUID();
    await insertPlugin(
      ctx.db,
      {
        ...meta,
        id,
        tenantId: tenant.id,
        creatorId: req.auth.user.id,
        visibility,
        title: q.title || meta.package_name,
        yaml: up.yaml,
        icon: up.icon,
        wagon: { size: (await stat(up.wagon)).size, sha256: await sha256Of(up.wagon) },
      },
      createReadStream(up.wagon, { highWaterMark: MB }),
    ).catch((e) => {
      // plugins_name_version_tenant_idx: another archive of the same build is in the tenant.
      if (sqlState(e) !== '23505') throw e;
      throw conflict(
        `Plugin ${meta.package_name} ${meta.package_version} (distribution ${meta.distribution ?? 'none'} ${meta.distribution_release ?? ''}) is already uploaded in this tenant: delete it first to upload it again`,
      );
    });
    // This manager's copy, as Cloudify lays it out; other managers write theirs on first use (files.ts).
    const staged = join(work, 'files');
    await mkdir(staged, { recursive: true });
    await copyFile(up.wagon, join(staged, meta.archive_name));
    if (up.yaml) await writeFile(join(staged, up.yaml.name), up.yaml.text);
    if (up.icon) await writeFile(join(staged, 'icon.png'), up.icon);
    await mkdir(join(ctx.resourcesDir, 'plugins'), { recursive: true });
    await rm(pluginDir(ctx, id), { recursive: true, force: true });
    await rename(staged, pluginDir(ctx, id));
    return id;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
