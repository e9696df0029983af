// Blueprints (rest-api.md §1.3): list, get, upload (multipart `params` + `blueprint_archive` as the
// Python client sends it, a raw body with query arguments, or `blueprint_archive_url`), validate,
// download, internal PATCH, set-visibility and delete. The pipeline lives in ../blueprints/.
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Type } from 'typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasPermission } from '../auth/permissions.js';
import { checkEntryPath } from '../blueprints/archive.js';
import {
  ALL_STATES,
  archiveDir,
  claimId,
  commit,
  extractedDir,
  FAILED_STATES,
  findExisting,
  insertRow,
  lockId,
  newWorkDir,
  prepare,
  recordFailure,
  saveStream,
  sweepWorkDirs,
  toHttpError,
  UploadFailure,
  type UploadJob,
  type UploadState,
} from '../blueprints/upload.js';
import { type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { parseLabels } from '../labels.js';
import {
  badParameters,
  CloudifyError,
  conflict,
  dependentExists,
  forbidden,
  illegalAction,
  notFound,
  notFoundResource,
} from '../../common/errors.js';
import {
  listResources,
  parseInclude,
  type ResourceDef,
  scopeSql,
  selectList,
} from '../../store/repositories/list.js';
import { commonFields, fromWithOwner, json, ts } from '../../store/repositories/common.js';
import {
  Any,
  Bool,
  ErrorBody,
  errorResponses,
  Include,
  ListQuery,
  listOf,
  NStr,
  resource,
  Str,
  Visibility,
} from '../schemas/common.js';

type Vis = 'private' | 'tenant' | 'global';
const RANK: Record<Vis, number> = { private: 0, tenant: 1, global: 2 };

const labelsSql = `coalesce((SELECT json_agg(json_build_object('key', l.key, 'value', l.value,
  'created_at', ${ts('l.created_at')}, 'created_by', lu.username) ORDER BY l.id)
  FROM blueprints_labels l JOIN users lu ON lu.id = l._creator_id WHERE l._labeled_model_fk = t._storage_id), '[]'::json)`;

export const blueprintDef: ResourceDef = {
  kind: 'Blueprint',
  from: fromWithOwner('blueprints'),
  tenantScoped: true,
  fields: {
    ...commonFields,
    updated_at: { sql: ts('t.updated_at') },
    main_file_name: { sql: 't.main_file_name' },
    plan: json('t.plan'),
    description: { sql: 't.description' },
    is_hidden: { sql: 't.is_hidden' },
    state: { sql: 't.state' },
    error: { sql: 't.error' },
    error_traceback: { sql: 't.error_traceback', filter: false },
    labels: json(labelsSql),
    upload_execution: json('NULL::json'),
    requirements: json('t.requirements'),
  },
};

const BlueprintBody = resource({
  id: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  created_at: Str,
  updated_at: Str,
  private_resource: Bool,
  resource_availability: Str,
  main_file_name: NStr,
  plan: Any,
  description: NStr,
  is_hidden: Bool,
  state: Str,
  error: NStr,
  error_traceback: NStr,
  labels: Any,
  upload_execution: Any,
  requirements: Any,
});

const IdParam = Type.Object({ id: Type.String({ minLength: 1 }) });
const ArgsQuery = Type.Object(
  {},
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
);
const uploadErrors = { ...errorResponses, 413: ErrorBody, 415: ErrorBody };

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

function parseBool(name: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(Array.isArray(v) ? v[0] : v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw badParameters(`${name} must be a boolean (true or false), got "${String(v)}"`);
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : String(Array.isArray(v) ? v[0] : v);

interface Received {
  args: Record<string, unknown>;
  /** The body or file part saved to disk, if there was one. */
  file?: string;
}

/** Reads the request: multipart (`params` JSON + `blueprint_archive`) or a raw body, plus the query. */
async function receive(req: FastifyRequest, ctx: ManagerContext, work: string): Promise<Received> {
  const args: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  const maxBytes = ctx.config.blueprintMaxSizeMb * 1024 * 1024;
  const file = join(work, 'upload');
  if (req.isMultipart()) {
    let got = false;
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'blueprint_archive') {
          await pipeline(part.file, new Writable({ write: (_c, _e, cb) => cb() }));
          throw badParameters(
            `Unexpected file field \`${part.fieldname}\`: the archive goes in \`blueprint_archive\``,
          );
        }
        await saveStream(part.file, file, maxBytes, 'The blueprint archive');
        if (part.file.truncated) {
          throw new CloudifyError(
            413,
            'payload_too_large_error',
            `The blueprint archive is over the limit of ${ctx.config.blueprintMaxSizeMb} MB`,
          );
        }
        got = true;
      } else if (part.fieldname === 'params') {
        let params: unknown;
        try {
          params = JSON.parse(String(part.value));
        } catch (e) {
          throw badParameters(`The multipart field \`params\` is not valid JSON: ${(e as Error).message}`);
        }
        if (!params || typeof params !== 'object' || Array.isArray(params)) {
          throw badParameters('The multipart field `params` must be a JSON object');
        }
        Object.assign(args, params);
      } else args[part.fieldname] = part.value;
    }
    return { args, file: got ? file : undefined };
  }
  const body = req.body;
  const buf = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : undefined;
  if (buf && buf.length > 0) {
    await writeFile(file, buf);
    return { args, file };
  }
  return { args };
}

function buildJob(req: FastifyRequest, id: string, r: Received, work: string): UploadJob {
  const a = r.args;
  const url = str(a.blueprint_archive_url);
  if (url && r.file) {
    throw badParameters(
      'Can pass blueprint as only one of: URL via query parameters, multi-form or chunked (a blueprint_archive_url and a request body were both given)',
    );
  }
  if (!url && !r.file) {
    throw new CloudifyError(
      400,
      'upload_missing_file',
      'Missing blueprint archive: send it as the multipart file `blueprint_archive`, as the request body, or give blueprint_archive_url',
    );
  }
  if (url && !/^https?:\/\//i.test(url)) {
    throw badParameters(`blueprint_archive_url must be an http or https URL, got "${url}"`);
  }
  let mainFile = str(a.application_file_name);
  if (mainFile !== undefined) {
    let norm: string;
    try {
      norm = checkEntryPath(mainFile);
    } catch {
      norm = '';
    }
    if (!norm)
      throw badParameters(`Invalid application_file_name "${mainFile}": use a relative path in the archive`);
    mainFile = norm;
  }
  let visibility = (str(a.visibility) ?? 'tenant') as Vis;
  if (!(visibility in RANK)) {
    throw badParameters(
      `Invalid visibility \`${visibility}\`. Valid visibility's values are: private, tenant, global`,
    );
  }
  if (parseBool('private_resource', a.private_resource) && a.visibility === undefined) visibility = 'private';
  if (visibility === 'global' && !hasPermission(req.auth.roles, 'create_global_resource')) {
    throw forbidden(`User \`${req.auth.user.username}\` is not permitted to create a global resource`);
  }
  return {
    id,
    tenant: tenantOf(req),
    userId: req.auth.user.id,
    visibility,
    mainFile,
    labels: parseLabels(a.labels),
    requirements: a.requirements,
    source: url ? { url } : { file: r.file as string },
    work,
  };
}

const FAIL_OF: Partial<Record<UploadState, UploadState>> = {
  pending: 'failed_uploading',
  uploading: 'failed_uploading',
  extracting: 'failed_extracting',
  parsing: 'failed_parsing',
};

export async function registerBlueprintRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db } = ctx;
  // Archives come as raw bytes whatever the content type (text/plain included).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (_req, body: Buffer, done) =>
    done(null, body),
  );

  await sweepWorkDirs(ctx.resourcesDir).catch(() => {});
  const inflight = new Set<Promise<void>>();
  app.addHook('onClose', async () => {
    await Promise.allSettled([...inflight]);
  });

  /** The blueprint visible to the caller under this id (the tenant's own before a global one). */
  const findRow = async (req: FastifyRequest, id: string, include?: string[]) => {
    const params: unknown[] = [id];
    const conds = scopeSql(blueprintDef, scopeOf(req), params);
    params.push(req.auth.tenant?.id ?? -1);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT ${selectList(blueprintDef, include)}, t._storage_id AS "__sid", t._tenant_id AS "__tid",
         tn.name AS "__tenant", t.archive_path AS "__archive", t.state AS "__state", t.visibility AS "__vis"
       FROM ${blueprintDef.from} WHERE t.id = $1 ${conds.map((c) => `AND ${c}`).join(' ')}
       ORDER BY (t._tenant_id = $${params.length}) DESC LIMIT 1`,
      params,
    );
    if (rows.length === 0) throw notFoundResource('Blueprint', id);
    const row = rows[0];
    const meta = {
      sid: row.__sid as number,
      tid: row.__tid as number,
      tenant: row.__tenant as string,
      archive: row.__archive as string | null,
      state: row.__state as string,
      visibility: row.__vis as Vis,
    };
    for (const k of Object.keys(row)) if (k.startsWith('__')) delete row[k];
    return { row, meta };
  };

  const view = async (req: FastifyRequest, id: string) => (await findRow(req, id)).row;

  const runAsync = async (job: UploadJob, sid: number) => {
    let current: UploadState = 'url' in job.source ? 'pending' : 'uploading';
    try {
      const prep = await prepare(ctx, job, async (s) => {
        current = s;
        await db.query('UPDATE blueprints SET state = $2, updated_at = now() WHERE _storage_id = $1', [
          sid,
          s,
        ]);
      });
      await commit(ctx, job, prep, sid);
    } catch (e) {
      const f =
        e instanceof UploadFailure
          ? e
          : new UploadFailure(
              FAIL_OF[current] ?? 'failed_uploading',
              (e as Error).message,
              400,
              'invalid_blueprint_error',
              (e as Error).stack ?? null,
            );
      await recordFailure(ctx, job, f, sid).catch((err) =>
        app.log.error({ err }, 'recording a blueprint failure'),
      );
    } finally {
      await rm(job.work, { recursive: true, force: true }).catch(() => {});
    }
  };

  /** Runs an upload (or a validation); the scratch dir is gone before the answer is sent. */
  const upload = async (req: FastifyRequest, reply: FastifyReply, validateOnly: boolean) => {
    const { id } = req.params as { id: string };
    checkBlueprintId(id);
    tenantOf(req);
    const work = await newWorkDir(ctx.resourcesDir);
    let handedOff = false;
    let status: number;
    try {
      const received = await receive(req, ctx, work);
      const job = buildJob(req, id, received, work);
      job.validateOnly = validateOnly;
      const async = !validateOnly && parseBool('async_upload', received.args.async_upload) === true;
      if (!validateOnly) {
        const ex = await findExisting(db, job.tenant.id, id);
        if (ex && !(FAILED_STATES.includes(ex.state) && ex._tenant_id === job.tenant.id)) {
          throw conflict(
            `blueprint with id=${id} already exists on tenant ${job.tenant.name} or with global visibility`,
          );
        }
      }
      if (async) {
        const sid = await db.transaction(async (tx) => {
          await lockId(tx, job.tenant.id, id);
          await claimId(tx, job);
          return insertRow(tx, job, 'url' in job.source ? 'pending' : 'uploading');
        });
        const body = await view(req, id);
        const p: Promise<void> = runAsync(job, sid).finally(() => inflight.delete(p));
        inflight.add(p);
        handedOff = true;
        return reply.code(201).send(body);
      }
      try {
        const prep = await prepare(ctx, job, async () => {});
        if (!validateOnly) await commit(ctx, job, prep);
      } catch (e) {
        if (!(e instanceof UploadFailure)) throw e;
        const f = validateOnly
          ? new UploadFailure('invalid', e.message, e.status, e.errorCode, e.traceback)
          : e;
        await recordFailure(ctx, job, f);
        throw toHttpError(id, f);
      }
      status = validateOnly ? 204 : 201;
    } finally {
      if (!handedOff) await rm(work, { recursive: true, force: true }).catch(() => {});
    }
    if (status === 204) return reply.code(204).send();
    return reply.code(201).send(await view(req, id));
  };

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
    async (req) =>
      listResources(db, ctx.config, blueprintDef, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      }),
  );

  app.get(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: BlueprintBody, ...errorResponses } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const include = parseInclude(blueprintDef, (req.query as { _include?: string })._include);
      return (await findRow(req, id, include)).row;
    },
  );

  app.put(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_upload', tenant: true, rawBody: true },
      schema: {
        summary:
          'Upload a blueprint: multipart params + blueprint_archive, a raw archive or YAML body, or blueprint_archive_url',
        params: IdParam,
        querystring: ArgsQuery,
        response: { 201: BlueprintBody, ...uploadErrors },
      },
    },
    async (req, reply) => upload(req, reply, false),
  );

  app.put(
    '/blueprints/:id/validate',
    {
      config: { permission: 'blueprint_upload', tenant: true, rawBody: true },
      schema: {
        summary: 'Validate a blueprint without storing it (same arguments as upload)',
        params: IdParam,
        querystring: ArgsQuery,
        response: uploadErrors,
      },
    },
    async (req, reply) => upload(req, reply, true),
  );

  app.get(
    '/blueprints/:id/archive',
    {
      config: { permission: 'blueprint_download', tenant: true },
      schema: { summary: 'Download the uploaded archive', params: IdParam, response: errorResponses },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const { meta } = await findRow(req, id);
      if (!meta.archive || meta.state !== 'uploaded') {
        throw notFound(`The archive of blueprint \`${id}\` is not available (state ${meta.state})`);
      }
      const path = join(ctx.resourcesDir, ...meta.archive.split('/'));
      const name = meta.archive.split('/').pop() ?? `${id}.tar.gz`;
      const stream = createReadStream(path);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      }).catch(() => {
        throw notFound(`The archive of blueprint \`${id}\` is missing from the file server`);
      });
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename=${name}`)
        .send(stream);
    },
  );

  app.delete(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_delete', tenant: true },
      schema: {
        params: IdParam,
        querystring: Type.Object({ force: Type.Optional(Type.String()) }, { additionalProperties: true }),
        response: { ...errorResponses, 405: ErrorBody },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      parseBool('force', (req.query as { force?: string }).force);
      const { meta } = await findRow(req, id);
      await db.transaction(async (tx) => {
        await lockId(tx, meta.tid, id);
        const deps = await tx.query<{ id: string }>(
          'SELECT id FROM deployments WHERE _blueprint_fk = $1 ORDER BY id',
          [meta.sid],
        );
        if (deps.length) {
          throw dependentExists(
            `Can't delete blueprint ${id} - There exist deployments for this blueprint; Deployments ids: ${deps.map((d) => d.id).join(', ')}`,
          );
        }
        await tx.query('DELETE FROM blueprints WHERE _storage_id = $1', [meta.sid]);
      });
      await rm(archiveDir(ctx, meta.tenant, id), { recursive: true, force: true });
      await rm(extractedDir(ctx, meta.tenant, id), { recursive: true, force: true });
      return reply.code(204).send();
    },
  );

  app.patch(
    '/blueprints/:id',
    {
      config: { permission: 'blueprint_upload', tenant: true },
      schema: {
        summary: 'Internal: report the upload state, plan or error of a blueprint',
        params: IdParam,
        body: Type.Object(
          {
            plan: Type.Optional(Any),
            description: Type.Optional(NStr),
            main_file_name: Type.Optional(Str),
            state: Type.Optional(Str),
            error: Type.Optional(NStr),
            error_traceback: Type.Optional(NStr),
            labels: Type.Optional(Any),
            requirements: Type.Optional(Any),
            visibility: Type.Optional(Visibility),
            creator: Type.Optional(Any),
            created_at: Type.Optional(Any),
            upload_execution: Type.Optional(Any),
          },
          { additionalProperties: false },
        ),
        response: { 200: BlueprintBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = (req.body ?? {}) as Record<string, unknown>;
      const { meta } = await findRow(req, id);
      if (body.state !== undefined && !ALL_STATES.includes(body.state as string)) {
        throw badParameters(
          `Invalid blueprint state \`${String(body.state)}\`. Valid states are: ${ALL_STATES.join(', ')}`,
        );
      }
      const labels = body.labels === undefined ? undefined : parseLabels(body.labels);
      const sets: string[] = [];
      const params: unknown[] = [meta.sid];
      const set = (col: string, v: unknown, cast = '') => {
        params.push(v);
        sets.push(`${col} = $${params.length}${cast}`);
      };
      if (body.plan !== undefined)
        set('plan', body.plan === null ? null : JSON.stringify(body.plan), '::text::jsonb');
      if (body.description !== undefined) set('description', body.description);
      if (body.main_file_name !== undefined) set('main_file_name', body.main_file_name);
      if (body.state !== undefined) set('state', body.state);
      if (body.error !== undefined) set('error', body.error);
      if (body.error_traceback !== undefined) set('error_traceback', body.error_traceback);
      if (body.requirements !== undefined) {
        set(
          'requirements',
          body.requirements === null ? null : JSON.stringify(body.requirements),
          '::text::jsonb',
        );
      }
      if (body.visibility !== undefined) set('visibility', body.visibility);
      await db.transaction(async (tx) => {
        await tx.query(
          `UPDATE blueprints SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE _storage_id = $1`,
          params,
        );
        if (labels) {
          await tx.query('DELETE FROM blueprints_labels WHERE _labeled_model_fk = $1', [meta.sid]);
          for (const l of labels) {
            await tx.query(
              `INSERT INTO blueprints_labels (key, value, _labeled_model_fk, _creator_id) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING`,
              [l.key, l.value, meta.sid, req.auth.user.id],
            );
          }
        }
      });
      return view(req, id);
    },
  );

  app.patch(
    '/blueprints/:id/set-visibility',
    {
      config: { permission: 'resource_set_visibility', tenant: true },
      schema: {
        params: IdParam,
        body: Type.Object({ visibility: Visibility }, { additionalProperties: false }),
        response: { 200: BlueprintBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { visibility } = req.body as { visibility: Vis };
      const { meta } = await findRow(req, id);
      if (RANK[visibility] < RANK[meta.visibility]) {
        throw illegalAction(
          `Can't set the visibility of \`${id}\` to ${visibility} because it already has the \`${meta.visibility}\` visibility`,
        );
      }
      if (visibility === 'global') {
        if (!hasPermission(req.auth.roles, 'create_global_resource')) {
          throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set a global visibility`);
        }
        const clash = await db.query('SELECT 1 FROM blueprints WHERE id = $1 AND _storage_id <> $2', [
          id,
          meta.sid,
        ]);
        if (clash.length) {
          throw conflict(
            `Can't set the visibility of \`${id}\` to global: a blueprint with this id exists in another tenant`,
          );
        }
      }
      await db.query('UPDATE blueprints SET visibility = $2, updated_at = now() WHERE _storage_id = $1', [
        meta.sid,
        visibility,
      ]);
      return view(req, id);
    },
  );
}
