// Plugins (rest-api.md §1.8): upload (a wagon, or a zip of wagon + plugin.yaml as `cfy plugins upload`
// sends it, or plugin_archive_url), list, get, download the wagon, delete (refused while a blueprint
// with deployments installs the package, unless forced). The upload pipeline is ../plugins/.
import { createReadStream } from 'node:fs';
import { Type } from 'typebox';
import { forbidden, illegalAction, pluginInUse } from '../../common/errors.js';
import { getVisible, listResources, parseInclude, type Scope } from '../../store/repositories/list.js';
import {
  archiveCount,
  blueprintsUsing,
  deletePlugin,
  getPluginMeta,
  PLUGINS,
  type PluginMeta,
  setPluginVisibility,
} from '../../store/repositories/plugins.js';
import { hasPermission } from '../auth/permissions.js';
import { type Api, type ManagerContext, scopeOf } from '../context.js';
import { removeLocalCopy, wagonFile } from '../plugins/files.js';
import { uploadPlugin } from '../plugins/upload.js';
import { ErrorBody, errorResponses, IdParam, listOf, listQuery } from '../schemas/common.js';
import {
  PluginBody,
  PluginDeleteBody,
  PluginDeleteQuery,
  PluginGetQuery,
  PluginUploadQuery,
} from '../schemas/plugins.js';
import { Flag } from '../schemas/common.js';
import { VisibilityBody } from '../schemas/blueprints.js';

type Row = Record<string, unknown>;

/** Cloudify fills file_server_path only when asked with `_get_data`. */
const shown = (row: Row, getData: boolean | undefined): Row =>
  getData || !('file_server_path' in row) ? row : { ...row, file_server_path: '' };

export async function registerPluginRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerUpload(app, ctx);
  registerDelete(app, ctx);
  registerSetVisibility(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  app.get(
    '/plugins',
    {
      config: { permission: 'plugin_list', tenant: true },
      schema: {
        summary: 'List plugins (`_search` matches the package name)',
        querystring: listQuery({ _get_data: Flag }),
        response: { 200: listOf(PluginBody), ...errorResponses },
      },
    },
    async (req) => {
      const { _search, _get_data, ...query } = req.query as Record<string, unknown>;
      const where =
        typeof _search === 'string'
          ? [{ sql: `t.package_name ILIKE $1`, params: [`%${_search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`] }]
          : [];
      const r = await listResources<Row>(ctx.db, ctx.config, PLUGINS, { query, scope: scopeOf(req), where });
      return { ...r, items: r.items.map((i) => shown(i, _get_data as boolean | undefined)) };
    },
  );

  app.get(
    '/plugins/:id',
    {
      config: { permission: 'plugin_get', tenant: true },
      schema: {
        params: IdParam,
        querystring: PluginGetQuery,
        response: { 200: PluginBody, ...errorResponses },
      },
    },
    async (req) => {
      const include = parseInclude(PLUGINS, req.query._include);
      const row = await getVisible<Row>(ctx.db, PLUGINS, scopeOf(req), req.params.id, { include });
      const { __storage_id: _s, ...rest } = row;
      return shown(rest, req.query._get_data);
    },
  );

  app.get(
    '/plugins/:id/archive',
    {
      config: { permission: 'plugin_download', tenant: true },
      schema: {
        summary: 'Download the wagon',
        params: IdParam,
        // The wagon's bytes, streamed as they are (a stream is never serialised).
        response: { 200: Type.Unknown(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const meta = await getPluginMeta(ctx.db, scopeOf(req), req.params.id);
      const path = await wagonFile(ctx, meta);
      return (
        reply
          .header('content-type', 'application/octet-stream')
          .header('content-length', String(meta.wagonSize))
          // 5.1 names the download <id>.tar.gz whatever the wagon's format.
          .header('content-disposition', `attachment; filename=${meta.id}.tar.gz`)
          .send(createReadStream(path))
      );
    },
  );
}

function registerUpload(app: Api, ctx: ManagerContext): void {
  app.post(
    '/plugins',
    {
      config: { permission: 'plugin_upload', tenant: true, rawBody: true },
      schema: {
        summary: 'Upload a plugin: a wagon, or a zip of the wagon and its plugin.yaml, or plugin_archive_url',
        querystring: PluginUploadQuery,
        response: { 201: PluginBody, ...errorResponses, 413: ErrorBody },
      },
    },
    async (req, reply) => {
      const id = await uploadPlugin(ctx, req, req.query);
      const row = await getVisible<Row>(ctx.db, PLUGINS, scopeOf(req), id);
      const { __storage_id: _s, ...rest } = row;
      return reply.code(201).send(shown(rest, false));
    },
  );
}

function registerDelete(app: Api, ctx: ManagerContext): void {
  app.delete(
    '/plugins/:id',
    {
      config: { permission: 'plugin_delete', tenant: true },
      schema: {
        params: IdParam,
        querystring: PluginDeleteQuery,
        body: PluginDeleteBody,
        response: { 204: Type.Null(), ...errorResponses, 405: ErrorBody },
      },
    },
    async (req, reply) => {
      const scope = scopeOf(req);
      const meta = await getPluginMeta(ctx.db, scope, req.params.id);
      checkOwnTenant(meta, scope);
      const force = req.body?.force ?? req.query.force ?? false;
      if (!force) {
        const used = await blueprintsUsing(ctx.db, scope, meta.packageName, meta.packageVersion);
        if (used.length > 0) {
          throw pluginInUse(
            `Plugin "${meta.id}" is currently in use in blueprints: ${used.join(', ')}. You can "force" plugin removal if needed.`,
          );
        }
      }
      await deletePlugin(ctx.db, meta.storageId);
      await removeLocalCopy(ctx, meta.id);
      return reply.code(204).send(null);
    },
  );
}

const RANK: Record<string, number> = { private: 0, tenant: 1, global: 2 };

/** Cloudify's validate_global_modification: a global plugin is changed only from its own tenant. */
function checkOwnTenant(meta: PluginMeta, scope: Scope): void {
  if (meta.visibility === 'global' && meta.tenantId !== scope.tenantId) {
    throw illegalAction(
      `Can't modify the global resource \`${meta.id}\` from outside its tenant \`${meta.tenantName}\``,
    );
  }
}

function registerSetVisibility(app: Api, ctx: ManagerContext): void {
  app.patch(
    '/plugins/:id/set-visibility',
    {
      config: { permission: 'resource_set_visibility', tenant: true },
      schema: { params: IdParam, body: VisibilityBody, response: { 200: PluginBody, ...errorResponses } },
    },
    async (req) => {
      const scope = scopeOf(req);
      const meta = await getPluginMeta(ctx.db, scope, req.params.id);
      const { visibility } = req.body;
      if (RANK[visibility] < RANK[meta.visibility]) {
        throw illegalAction(
          `Can't set the visibility of \`${meta.id}\` to ${visibility} because it already has wider visibility`,
        );
      }
      if (visibility === 'global') {
        if (!hasPermission(req.auth.roles, 'create_global_resource'))
          throw forbidden(
            `User \`${req.auth.user.username}\` is not permitted to set or create a global resource`,
          );
        if ((await archiveCount(ctx.db, meta.packageName, meta.archiveName)) > 1) {
          throw illegalAction(
            `Can't set or create the resource \`${meta.id}\`, it's visibility can't be global because it also exists in other tenants`,
          );
        }
      }
      await setPluginVisibility(ctx.db, meta.storageId, visibility);
      const { __storage_id: _s, ...row } = await getVisible<Row>(ctx.db, PLUGINS, scope, meta.id);
      return shown(row, false);
    },
  );
}
