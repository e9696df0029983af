// Reading an upload request (rest-api.md §1.3): multipart (`params` JSON + `blueprint_archive`, as the
// Python client sends it) or a raw body, plus the query arguments; then checking the arguments into an
// UploadJob. The query is typed by its schema (UploadQuery); multipart fields are not, so they are
// coerced here, in multipartArgs, the one place that does it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { badParameters, forbidden, payloadTooLarge, uploadMissingFile } from '../../common/errors.js';
import type { Visibility } from '../../store/repositories/blueprints.js';
import { hasPermission } from '../auth/permissions.js';
import { type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { parseLabels } from '../labels.js';
import { checkEntryPath } from './archive.js';
import { saveStream, type UploadJob } from './upload.js';

/** The upload arguments, typed: from the query (by its schema) and from the multipart fields. */
export interface UploadArgs {
  application_file_name?: string;
  blueprint_archive_url?: string;
  visibility?: string;
  private_resource?: boolean;
  async_upload?: boolean;
  /** As the client sends them; parseLabels reads every form. */
  labels?: unknown;
  requirements?: unknown;
}

export interface Received {
  args: UploadArgs;
  /** The body or file part saved to disk, if there was one. */
  file?: string;
}

/** Reads the request: multipart (`params` JSON + `blueprint_archive`) or a raw body, plus the query. */
export async function receive(
  req: FastifyRequest,
  query: UploadArgs,
  ctx: ManagerContext,
  work: string,
): Promise<Received> {
  const file = join(work, 'upload');
  if (req.isMultipart()) {
    const { fields, got } = await readParts(req, ctx, file);
    // Multipart fields win over query arguments of the same name.
    return { args: { ...query, ...multipartArgs(fields) }, file: got ? file : undefined };
  }
  const body = req.body;
  const buf = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : undefined;
  if (buf && buf.length > 0) {
    await writeFile(file, buf);
    return { args: query, file };
  }
  return { args: query };
}

/** Saves the `blueprint_archive` part to `file`; returns the other fields, `params` JSON merged in. */
async function readParts(
  req: FastifyRequest,
  ctx: ManagerContext,
  file: string,
): Promise<{ fields: Record<string, unknown>; got: boolean }> {
  const maxBytes = ctx.config.blueprintMaxSizeMb * 1024 * 1024;
  const fields: Record<string, unknown> = {};
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
        throw payloadTooLarge(
          `The blueprint archive is over the limit of ${ctx.config.blueprintMaxSizeMb} MB`,
        );
      }
      got = true;
    } else if (part.fieldname === 'params') {
      Object.assign(fields, paramsJson(part.value));
    } else fields[part.fieldname] = part.value;
  }
  return { fields, got };
}

function paramsJson(value: unknown): Record<string, unknown> {
  let params: unknown;
  try {
    params = JSON.parse(String(value));
  } catch (e) {
    throw badParameters(`The multipart field \`params\` is not valid JSON: ${(e as Error).message}`);
  }
  if (!params || typeof params !== 'object' || Array.isArray(params)) {
    throw badParameters('The multipart field `params` must be a JSON object');
  }
  return params as Record<string, unknown>;
}

const TEXT_ARGS = ['application_file_name', 'blueprint_archive_url', 'visibility'] as const;
const FLAG_ARGS = ['private_resource', 'async_upload'] as const;
const RAW_ARGS = ['labels', 'requirements'] as const;

/**
 * The multipart fields as typed arguments: only those given (a given null or '' still overrides the
 * query). The `params` JSON carries booleans, form fields carry text: both are read by `flag`.
 */
function multipartArgs(fields: Record<string, unknown>): UploadArgs {
  const out: UploadArgs = {};
  const given = (k: string) => Object.hasOwn(fields, k);
  for (const k of TEXT_ARGS) if (given(k)) out[k] = text(fields[k]);
  for (const k of FLAG_ARGS) if (given(k)) out[k] = flag(k, fields[k]);
  for (const k of RAW_ARGS) if (given(k)) out[k] = fields[k];
  return out;
}

/** A boolean multipart field: true/false (any case), 1/0, or absent ('' and null). */
function flag(name: string, v: unknown): boolean | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(Array.isArray(v) ? v[0] : v).toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw badParameters(`${name} must be a boolean (true or false), got "${String(v)}"`);
}

const text = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : String(Array.isArray(v) ? v[0] : v);

const VISIBILITIES: readonly string[] = ['private', 'tenant', 'global'] satisfies Visibility[];
const isVisibility = (v: string): v is Visibility => VISIBILITIES.includes(v);

/** Checks the arguments (one archive source, main file, visibility) into the job to run. */
export function buildJob(req: FastifyRequest, id: string, r: Received, work: string): UploadJob {
  const a = r.args;
  const url = a.blueprint_archive_url;
  if (url && r.file) {
    throw badParameters(
      'Can pass blueprint as only one of: URL via query parameters, multi-form or chunked (a blueprint_archive_url and a request body were both given)',
    );
  }
  if (!url && !r.file) {
    throw uploadMissingFile(
      'Missing blueprint archive: send it as the multipart file `blueprint_archive`, as the request body, or give blueprint_archive_url',
    );
  }
  if (url && !/^https?:\/\//i.test(url)) {
    throw badParameters(`blueprint_archive_url must be an http or https URL, got "${url}"`);
  }
  return {
    id,
    tenant: tenantOf(req),
    userId: req.auth.user.id,
    scope: scopeOf(req),
    mainFile: mainFileOf(a.application_file_name),
    visibility: visibilityOf(req, a),
    labels: parseLabels(a.labels),
    requirements: a.requirements,
    source: url ? { url } : { file: r.file as string },
    work,
  };
}

/** application_file_name, normalised: a relative path inside the archive. */
function mainFileOf(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  let norm: string;
  try {
    norm = checkEntryPath(name);
  } catch {
    norm = '';
  }
  if (!norm)
    throw badParameters(`Invalid application_file_name "${name}": use a relative path in the archive`);
  return norm;
}

/** visibility (default tenant; the legacy private_resource when none is given), if the caller may. */
function visibilityOf(req: FastifyRequest, a: UploadArgs): Visibility {
  const given = a.visibility ?? 'tenant';
  if (!isVisibility(given)) {
    throw badParameters(
      `Invalid visibility \`${given}\`. Valid visibility's values are: private, tenant, global`,
    );
  }
  const visibility = a.private_resource && a.visibility === undefined ? 'private' : given;
  if (visibility === 'global' && !hasPermission(req.auth.roles, 'create_global_resource')) {
    throw forbidden(`User \`${req.auth.user.username}\` is not permitted to create a global resource`);
  }
  return visibility;
}
