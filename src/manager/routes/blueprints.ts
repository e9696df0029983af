// Blueprints (rest-api.md §1.3): list, get, upload (multipart `params` + `blueprint_archive` as the
// Python client sends it, a raw body with query arguments, or `blueprint_archive_url`), validate,
// download, internal PATCH, set-visibility and delete. The pipeline lives in ../blueprints/.
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Type } from 'typebox';
import { badParameters, conflict, forbidden, illegalAction, notFound } from '../../common/errors.js';
import {
  ALL_STATES,
  BLUEPRINTS,
  deleteBlueprint,
  getBlueprint,
  idUsedElsewhere,
  setBlueprintVisibility,
  updateBlueprint,
  type Visibility,
} from '../../store/repositories/blueprints.js';
import { listResources, parseInclude } from '../../store/repositories/list.js';
import { hasPermission } from '../auth/permissions.js';
import { archiveFile, filesCache } from '../blueprints/files.js';
import { UploadRunner } from '../blueprints/runner.js';
import { archiveDir, extractedDir, sweepWorkDirs } from '../blueprints/upload.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { parseLabels } from '../labels.js';
import {
  BlueprintBody,
  DeleteQuery,
  PatchBody,
  UploadQuery,
  uploadErrors,
  VisibilityBody,
} from '../schemas/blueprints.js';
import { ErrorBody, errorResponses, IdParam, Include, ListQuery, listOf } from '../schemas/common.js';

const RANK: Record<Visibility, number> = { private: 0, tenant: 1, global: 2 };

const VALID_ID = /^[A-Za-z][A-Za-z0-9._-]*$/;

/** rest_utils.validate_inputs: non-empty, ≤256, letters/digits/-._, starting with a letter. */
export function checkBlueprintId(id: string): void {
  if (id.length > 256)
    throw badParameters(`The blueprint_id argument is too long: at most 256 characters, got ${id.length}`);
  if (!VALID_ID.test(id)) {
    if (!/^[A-Za-z]/.test(id))
      throw badParameters(`The blueprint_id argument must begin with a letter: "${id}"`);
    throw badParameters(
      `The blueprint_id argument contains illegal characters: "${id}". Only letters, digits and the characters "-", "." and "_" are allowed`,
    );
  }
}

export async function registerBlueprintRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  // Archives come as raw bytes whatever the content type (text/plain included).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_req, body: Buffer, done) =>
    done(null, body),
  );
  registerReads(app, ctx);
  registerDownload(app, ctx);
  await registerUploads(app, ctx);
  registerPatch(app, ctx);
  registerSetVisibility(app, ctx);
  registerDelete(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  app.get(
    '/blueprints',
    {
      config: { permission: 'blueprint_list', tenant: true },
      schema: {
        summary: 'List blueprints',
        querystring: ListQuery,
        response: { 200: listOf(BlueprintBody), ...errorResponses },
      },
    },
    async (req) => listResources(ctx.db, ctx.config, BLUEPRINTS, { query: req.query, scope: scopeOf(req) }),
  );

  app.get(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: BlueprintBody, ...errorResponses } },
    },
    async (req) => {
      const include = parseInclude(BLUEPRINTS, req.query._include);
      return (await getBlueprint(ctx.db, scopeOf(req), req.params.id, include)).row;
    },
  );
}

function registerDownload(app: Api, ctx: ManagerContext): void {
  app.get(
    '/blueprints/:id/archive',
    {
      config: { permission: 'blueprint_download', tenant: true },
      schema: {
        summary: 'Download the uploaded archive',
        params: IdParam,
        // The archive's bytes, streamed as they are (a stream is never serialised).
        response: { 200: Type.Unknown(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { meta } = await getBlueprint(ctx.db, scopeOf(req), id);
      if (!meta.archivePath || meta.state !== 'uploaded') {
        throw notFound(`The archive of blueprint \`${id}\` is not available (state ${meta.state})`);
      }
      const name = meta.archivePath.split('/').pop() ?? `${id}.tar.gz`;
      const gone = notFound(`The archive of blueprint \`${id}\` is missing from the file server`);
      const path = await archiveFile(ctx, meta);
      if (!path) throw gone;
      const stream = createReadStream(path);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      }).catch(() => {
        throw gone;
      });
      // The 5.1 CLI sizes its progress bar from Content-Length and fails without it.
      const { size } = await stat(path);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename=${name}`)
        .header('content-length', size)
        .send(stream);
    },
  );
}

async function registerUploads(app: Api, ctx: ManagerContext): Promise<void> {
  await sweepWorkDirs(ctx.resourcesDir).catch(() => {});
  const runner = new UploadRunner(ctx, app.log);
  app.addHook('onClose', async () => runner.drain());

  app.put(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_upload', tenant: true, rawBody: true },
      schema: {
        summary:
          'Upload a blueprint: multipart params + blueprint_archive, a raw archive or YAML body, or blueprint_archive_url',
        params: IdParam,
        querystring: UploadQuery,
        response: { 201: BlueprintBody, ...uploadErrors },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      checkBlueprintId(id);
      tenantOf(req);
      return reply.code(201).send(await runner.upload(req, id, req.query));
    },
  );

  app.put(
    '/blueprints/:id/validate',
    {
      config: { permission: 'blueprint_upload', tenant: true, rawBody: true },
      schema: {
        summary: 'Validate a blueprint without storing it (same arguments as upload)',
        params: IdParam,
        querystring: UploadQuery,
        response: { 204: Type.Null(), ...uploadErrors },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      checkBlueprintId(id);
      tenantOf(req);
      await runner.validate(req, id, req.query);
      return reply.code(204).send(null);
    },
  );
}

function registerPatch(app: Api, ctx: ManagerContext): void {
  app.patch(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_upload', tenant: true },
      schema: {
        summary: 'Internal: report the upload state, plan or error of a blueprint',
        params: IdParam,
        body: PatchBody,
        response: { 200: BlueprintBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const scope = scopeOf(req);
      const { labels, creator: _c, created_at: _a, upload_execution: _u, ...patch } = req.body;
      const { meta } = await getBlueprint(ctx.db, scope, id);
      if (patch.state !== undefined && !ALL_STATES.includes(patch.state)) {
        throw badParameters(
          `Invalid blueprint state \`${patch.state}\`. Valid states are: ${ALL_STATES.join(', ')}`,
        );
      }
      const newLabels =
        labels === undefined ? undefined : { labels: parseLabels(labels), creatorId: req.auth.user.id };
      await updateBlueprint(ctx.db, meta.storageId, patch, newLabels);
      return (await getBlueprint(ctx.db, scope, id)).row;
    },
  );
}

function registerSetVisibility(app: Api, ctx: ManagerContext): void {
  app.patch(
    '/blueprints/:id/set-visibility',
    {
      config: { permission: 'resource_set_visibility', tenant: true },
      schema: { params: IdParam, body: VisibilityBody, response: { 200: BlueprintBody, ...errorResponses } },
    },
    async (req) => {
      const { id } = req.params;
      const { visibility } = req.body;
      const scope = scopeOf(req);
      const { meta } = await getBlueprint(ctx.db, scope, id);
      if (RANK[visibility] < RANK[meta.visibility]) {
        throw illegalAction(
          `Can't set the visibility of \`${id}\` to ${visibility} because it already has the \`${meta.visibility}\` visibility`,
        );
      }
      if (visibility === 'global') {
        if (!hasPermission(req.auth.roles, 'create_global_resource')) {
          throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set a global visibility`);
        }
        if (await idUsedElsewhere(ctx.db, id, meta.storageId)) {
          throw conflict(
            `Can't set the visibility of \`${id}\` to global: a blueprint with this id exists in another tenant`,
          );
        }
      }
      await setBlueprintVisibility(ctx.db, meta.storageId, visibility);
      return (await getBlueprint(ctx.db, scope, id)).row;
    },
  );
}

function registerDelete(app: Api, ctx: ManagerContext): void {
  app.delete(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_delete', tenant: true },
      // `force` is accepted (the clients send it) and checked to be a boolean; deployments still block.
      schema: {
        params: IdParam,
        querystring: DeleteQuery,
        response: { 204: Type.Null(), ...errorResponses, 405: ErrorBody },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { meta } = await getBlueprint(ctx.db, scopeOf(req), id);
      await deleteBlueprint(ctx.db, meta, id);
      // The stored files went with the row; this manager's copies go now, other managers' at their
      // next sweep (they never serve them: the row that named them is gone).
      await filesCache(ctx).evict(meta.storageId);
      await rm(archiveDir(ctx, meta.tenantName, id), { recursive: true, force: true });
      await rm(extractedDir(ctx, meta.tenantName, id), { recursive: true, force: true });
      return reply.code(204).send(null);
    },
  );
}
