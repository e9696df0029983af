// The file server: GET /resources/<path>, as Cloudify's nginx serves it behind /file-server-auth.
// Blueprint files (blueprints/<tenant>/<id>/…, uploaded-blueprints/<tenant>/<id>/…) come from the
// database through this manager's local copy, so every manager serves the same ones; so do plugin files
// (plugins/<id>/…, ../plugins/files.ts); other paths come
// from the resources directory. Tenant paths (those two, deployments/<tenant>/…, tenant-resources/…)
// are served only to callers of that tenant; the scratch and cache areas (dot names) never.
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type Api, isAdmin, type ManagerContext } from '../context.js';
import { forbidden, notFound } from '../../common/errors.js';
import { BLUEPRINT_AREAS, blueprintTarget, startBlueprintFiles } from '../blueprints/files.js';
import { ensurePluginCopy } from '../plugins/files.js';
import { errorResponses } from '../schemas/common.js';

const TENANT_DIRS = new Set(['blueprints', 'uploaded-blueprints', 'deployments', 'tenant-resources']);

export async function registerFileRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  app.log.info(await startBlueprintFiles(ctx));
  app.get(
    '/resources/*',
    {
      config: { permission: 'blueprint_download' },
      schema: {
        summary: 'Download a file from the file server (a directory lists its entries)',
        params: Type.Object({ '*': Type.String() }),
        response: {
          200: Type.Unknown({ description: "The file's bytes, or a directory's entries" }),
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const rel = req.params['*'];
      const parts = resourceParts(rel);
      if (TENANT_DIRS.has(parts[0])) {
        const tenant = parts[1];
        if (!tenant || (!isAdmin(req) && tenant !== req.auth.tenant?.name)) {
          throw forbidden(`Authorization failed: no access to the files of tenant ${tenant ?? ''}`);
        }
      }
      return sendResource(ctx, rel, reply);
    },
  );
}

/** The agent packages are open, as Cloudify's nginx serves /resources/cloudify_agent without auth. */
export async function registerAgentFileRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  app.get(
    '/resources/cloudify_agent/*',
    {
      schema: {
        summary: 'Download an agent package (no authentication)',
        params: Type.Object({ '*': Type.String() }),
        response: { 200: Type.Unknown({ description: "The file's bytes" }), ...errorResponses },
      },
    },
    async (req, reply) => sendResource(ctx, `cloudify_agent/${req.params['*']}`, reply),
  );
}

const missingFile = (rel: string) => notFound(`Requested file resources/${rel} was not found`);

/** The path's parts; no `.`, `..` or hidden top folder (the upload scratch area). */
function resourceParts(rel: string): [string, ...string[]] {
  const parts = rel.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.') || parts[0]!.startsWith('.'))
    throw missingFile(rel);
  return parts as [string, ...string[]];
}

async function sendResource(ctx: ManagerContext, rel: string, reply: FastifyReply) {
  const parts = resourceParts(rel);
  const missing = missingFile(rel);
  // A plugin uploaded through another manager: write this manager's copy first.
  if (parts[0] === 'plugins' && parts[1]) await ensurePluginCopy(ctx, parts[1]);
  const target = BLUEPRINT_AREAS.has(parts[0])
    ? await blueprintTarget(ctx, parts)
    : { root: ctx.resourcesDir, rest: parts };
  if (!target) throw missing;
  if ('list' in target) return reply.send(target.list);
  const root = await realpath(target.root).catch(() => undefined);
  if (!root) throw missing;
  const full = await realpath(join(root, ...target.rest)).catch(() => undefined);
  // A symlink inside an uploaded blueprint must not reach outside the blueprint (or the resources).
  if (!full || (full !== root && !full.startsWith(root + sep))) throw missing;
  const st = await stat(full);
  if (st.isDirectory()) {
    const entries = await readdir(full, { withFileTypes: true });
    return reply.send(entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort());
  }
  return reply
    .type('application/octet-stream')
    .header('content-length', st.size)
    .send(createReadStream(full));
}
