// The blueprint upload pipeline (rest-api.md §1.3): bytes in a temp dir → extracting → parsing →
// uploaded, or a failed_* state with the error. Files are only moved into the file server, and the
// row only says `uploaded`, once every step succeeded; a failure leaves no files behind.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as tarCreate } from 'tar';
import { parse as parseYaml } from 'yaml';
import type { Db } from '../../store/port.js';
import type { ManagerContext } from '../context.js';
import { CloudifyError, conflict, invalidBlueprint, payloadTooLarge } from '../../common/errors.js';
import { type ArchiveKind, ArchiveError, detectKind, extensionOf, extractArchive } from './archive.js';

export type UploadState =
  | 'pending'
  | 'uploading'
  | 'extracting'
  | 'parsing'
  | 'uploaded'
  | 'failed_uploading'
  | 'failed_extracting'
  | 'failed_parsing'
  | 'failed_extracting_to_file_server'
  | 'invalid'
  | 'validating';

export const FAILED_STATES: readonly string[] = [
  'failed_uploading',
  'failed_extracting',
  'failed_parsing',
  'failed_extracting_to_file_server',
  'invalid',
];
export const ALL_STATES: readonly string[] = [
  'pending',
  'uploading',
  'extracting',
  'parsing',
  'uploaded',
  'validating',
  ...FAILED_STATES,
];

export interface UploadJob {
  id: string;
  tenant: { id: number; name: string };
  userId: number;
  visibility: 'private' | 'tenant' | 'global';
  /** application_file_name; undefined means blueprint.yaml. */
  mainFile?: string;
  labels: { key: string; value: string }[];
  requirements?: unknown;
  /** The received bytes, or a URL still to fetch. */
  source: { file: string } | { url: string };
  /** This job's scratch dir, under the resources dir (same file system as the targets). */
  work: string;
  /** Only validate: nothing is stored. */
  validateOnly?: boolean;
}

/** A failure during the pipeline: the state it leaves the blueprint in, and the HTTP answer. */
export class UploadFailure extends Error {
  constructor(
    readonly state: UploadState,
    message: string,
    readonly status = 400,
    readonly errorCode = 'invalid_blueprint_error',
    readonly traceback: string | null = null,
  ) {
    super(message);
  }
}

const MB = 1024 * 1024;

/** Removes scratch dirs a crashed process left behind (older than a day); best effort. */
export async function sweepWorkDirs(resourcesDir: string): Promise<void> {
  const base = join(resourcesDir, '.upload-tmp');
  const names = await readdir(base).catch(() => [] as string[]);
  for (const n of names) {
    const st = await stat(join(base, n)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 24 * 3600_000)
      await rm(join(base, n), { recursive: true, force: true });
  }
}

/** A fresh scratch dir for one upload. */
export async function newWorkDir(resourcesDir: string): Promise<string> {
  const dir = join(resourcesDir, '.upload-tmp', randomUUID());
  await mkdir(dir, { recursive: true });
  return dir;
}

export const archiveDir = (ctx: ManagerContext, tenant: string, id: string) =>
  join(ctx.resourcesDir, 'uploaded-blueprints', tenant, id);
export const extractedDir = (ctx: ManagerContext, tenant: string, id: string) =>
  join(ctx.resourcesDir, 'blueprints', tenant, id);

/** Streams `body` into `file`, at most `max` bytes (413 past it). */
export async function saveStream(body: Readable, file: string, max: number, what: string): Promise<number> {
  let n = 0;
  await pipeline(
    body,
    new Transform({
      transform(chunk: Buffer, _e, cb) {
        n += chunk.length;
        if (n > max) cb(payloadTooLarge(`${what} is over the limit of ${max / MB} MB`));
        else cb(null, chunk);
      },
    }),
    createWriteStream(file),
  );
  return n;
}

async function fetchUrl(url: string, file: string, maxBytes: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(120_000), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new UploadFailure(
      'failed_uploading',
      `failed to fetch the blueprint archive from ${url}: ${cause ?? (e as Error).message}`,
    );
  }
  if (!res.ok || !res.body) {
    throw new UploadFailure(
      'failed_uploading',
      `failed to fetch the blueprint archive from ${url}: HTTP ${res.status}`,
    );
  }
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > maxBytes) {
    await res.body.cancel().catch(() => {});
    throw payloadTooLarge(`The blueprint archive at ${url} is over the limit of ${maxBytes / MB} MB`);
  }
  try {
    await saveStream(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      file,
      maxBytes,
      `The blueprint archive at ${url}`,
    );
  } catch (e) {
    if (e instanceof CloudifyError) throw e;
    throw new UploadFailure(
      'failed_uploading',
      `failed to fetch the blueprint archive from ${url}: ${(e as Error).message}`,
    );
  }
}

export interface Prepared {
  kind: ArchiveKind;
  /** The blueprint's root dir (inside job.work). */
  root: string;
  /** The archive to store, named <id>.<ext>, alone in its dir (inside job.work). */
  archiveDir: string;
  mainFile: string;
  plan: Record<string, unknown> | null;
}

/**
 * Runs the pipeline up to (not including) placing the files: fetch, extract, check the main file,
 * parse. `onState` reports each state as it is entered.
 */
export async function prepare(
  ctx: ManagerContext,
  job: UploadJob,
  onState: (s: UploadState) => Promise<void>,
): Promise<Prepared> {
  const maxBytes = ctx.config.blueprintMaxSizeMb * MB;
  let file: string;
  if ('url' in job.source) {
    file = join(job.work, 'download');
    await onState('uploading');
    await fetchUrl(job.source.url, file, maxBytes);
  } else file = job.source.file;

  await onState('extracting');
  const kind = await detectKind(file);
  if (!kind) {
    throw new UploadFailure(
      'failed_extracting',
      'the upload is not a supported archive (zip, tar, tar.gz, tar.bz2) nor a YAML file',
    );
  }
  const mainFile = job.mainFile ?? 'blueprint.yaml';
  const xdir = join(job.work, 'x');
  const storeDir = join(job.work, 'store');
  await mkdir(storeDir, { recursive: true });
  const stored = join(storeDir, `${job.id}.${extensionOf(kind)}`);
  let root: string;
  if (kind === 'yaml') {
    const size = (await stat(file)).size;
    if (size > maxBytes) throw payloadTooLarge(`The blueprint is over the limit of ${maxBytes / MB} MB`);
    const text = await readFile(file, 'utf8');
    try {
      const doc = parseYaml(text);
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
        throw new Error('not a YAML mapping');
    } catch (e) {
      throw new UploadFailure(
        'failed_extracting',
        `the upload is not a supported archive (zip, tar, tar.gz, tar.bz2) nor a YAML blueprint: ${(e as Error).message}`,
      );
    }
    root = join(xdir, job.id);
    await mkdir(root, { recursive: true });
    const target = join(root, ...mainFile.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    // Stored as the official client would have sent it: a tar.gz with one top-level directory.
    await tarCreate({ gzip: true, file: stored, cwd: xdir, portable: true }, [job.id]);
  } else {
    try {
      root = await extractArchive(
        file,
        kind,
        xdir,
        { maxBytes, maxFiles: ctx.config.blueprintMaxFiles },
        job.work,
      );
    } catch (e) {
      if (e instanceof ArchiveError) {
        if (e.limit) throw new UploadFailure('failed_extracting', e.message, 413, 'payload_too_large_error');
        throw new UploadFailure('failed_extracting', e.message);
      }
      throw e;
    }
    await rename(file, stored);
  }
  const main = join(root, ...mainFile.split('/'));
  const st = await lstat(main).catch(() => undefined);
  if (!st?.isFile()) {
    throw new UploadFailure(
      'failed_extracting',
      `the main blueprint file \`${mainFile}\` does not exist in the blueprint archive`,
    );
  }

  let plan: Record<string, unknown> | null = null;
  if (ctx.parseBlueprint) {
    await onState('parsing');
    try {
      plan = await ctx.parseBlueprint(root, mainFile);
    } catch (e) {
      const err = e as Error & { code?: unknown };
      const code = err.code !== undefined ? ` (code ${String(err.code)})` : '';
      throw new UploadFailure(
        job.validateOnly ? 'invalid' : 'failed_parsing',
        `${err.message}${code}`,
        400,
        'invalid_blueprint_error',
        err.stack ?? null,
      );
    }
  }
  return { kind, root, archiveDir: storeDir, mainFile, plan };
}

/** Cloudify's wording for a failed upload: "Blueprint `x` has failed parsing. Error: …". */
export function failureMessage(id: string, state: string, error: string): string {
  const shown = state === 'invalid' ? 'is invalid' : `has ${state.replace(/_/g, ' ')}`;
  return `Blueprint \`${id}\` ${shown}. Error: ${error}`;
}

export function toHttpError(id: string, f: UploadFailure): CloudifyError {
  const msg = failureMessage(id, f.state, f.message);
  if (f.errorCode === 'invalid_blueprint_error') return invalidBlueprint(msg);
  return new CloudifyError(f.status, f.errorCode, msg);
}

/** Serialise uploads of one id in one tenant (both drivers support advisory locks). */
export async function lockId(tx: Db, tenantId: number, id: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [tenantId, `blueprint:${id}`]);
}

interface Existing {
  _storage_id: number;
  _tenant_id: number;
  state: string;
}

/** The row that holds this id for this tenant (or a global one), if any. */
export async function findExisting(tx: Db, tenantId: number, id: string): Promise<Existing | undefined> {
  const rows = await tx.query<Existing>(
    `SELECT _storage_id, _tenant_id, state FROM blueprints
     WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')
     ORDER BY (_tenant_id = $2) DESC LIMIT 1`,
    [id, tenantId],
  );
  return rows[0];
}

/** 409 unless the id is free or holds a failed upload in this tenant, which is removed. */
export async function claimId(tx: Db, job: UploadJob): Promise<void> {
  const ex = await findExisting(tx, job.tenant.id, job.id);
  if (!ex) return;
  if (FAILED_STATES.includes(ex.state) && ex._tenant_id === job.tenant.id) {
    await tx.query('DELETE FROM blueprints WHERE _storage_id = $1', [ex._storage_id]);
    return;
  }
  throw conflict(
    `blueprint with id=${job.id} already exists on tenant ${job.tenant.name} or with global visibility`,
  );
}

async function insertLabels(tx: Db, storageId: number, job: UploadJob): Promise<void> {
  await tx.query('DELETE FROM blueprints_labels WHERE _labeled_model_fk = $1', [storageId]);
  for (const l of job.labels) {
    await tx.query(
      `INSERT INTO blueprints_labels (key, value, _labeled_model_fk, _creator_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [l.key, l.value, storageId, job.userId],
    );
  }
}

/** Inserts the row in `state` (the first step of an async upload, or a failed sync one). */
export async function insertRow(
  tx: Db,
  job: UploadJob,
  state: UploadState,
  fields: { error?: string | null; error_traceback?: string | null; main_file_name?: string | null } = {},
): Promise<number> {
  const [r] = await tx.query<{ _storage_id: number }>(
    `INSERT INTO blueprints (id, visibility, _tenant_id, _creator_id, state, main_file_name, error, error_traceback, requirements)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb) RETURNING _storage_id`,
    [
      job.id,
      job.visibility,
      job.tenant.id,
      job.userId,
      state,
      fields.main_file_name ?? job.mainFile ?? 'blueprint.yaml',
      fields.error ?? null,
      fields.error_traceback ?? null,
      job.requirements === undefined ? null : JSON.stringify(job.requirements),
    ],
  );
  await insertLabels(tx, r._storage_id, job);
  return r._storage_id;
}

/** Moves `from` to `to` (a directory), replacing a stale directory that no row owns. */
async function place(from: string, to: string): Promise<void> {
  await mkdir(join(to, '..'), { recursive: true });
  try {
    await rename(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
}

/**
 * The last step: under the id lock, place the files and write the `uploaded` row (insert, or update
 * row `storageId` of an async upload). If anything fails the placed files are removed again.
 * Returns false when the async row disappeared meanwhile (deleted with force).
 */
export async function commit(
  ctx: ManagerContext,
  job: UploadJob,
  prep: Prepared,
  storageId?: number,
): Promise<boolean> {
  const adir = archiveDir(ctx, job.tenant.name, job.id);
  const xdir = extractedDir(ctx, job.tenant.name, job.id);
  const placed: string[] = [];
  try {
    return await ctx.db.transaction(async (tx) => {
      await lockId(tx, job.tenant.id, job.id);
      if (storageId === undefined) await claimId(tx, job);
      else {
        const own = await tx.query('SELECT 1 FROM blueprints WHERE _storage_id = $1 FOR UPDATE', [storageId]);
        if (own.length === 0) return false;
      }
      // No live row owns these paths now (the id lock is held), so whatever is there is stale.
      await place(prep.archiveDir, adir);
      placed.push(adir);
      await place(prep.root, xdir);
      placed.push(xdir);
      const plan = prep.plan === null ? null : JSON.stringify(prep.plan);
      const description = typeof prep.plan?.description === 'string' ? prep.plan.description : null;
      const archivePath = `uploaded-blueprints/${job.tenant.name}/${job.id}/${job.id}.${extensionOf(prep.kind)}`;
      if (storageId === undefined) {
        storageId = await insertRow(tx, job, 'uploaded', { main_file_name: prep.mainFile });
      }
      await tx.query(
        `UPDATE blueprints SET state = 'uploaded', plan = $2::text::jsonb, description = $3, main_file_name = $4,
           archive_path = $5, error = NULL, error_traceback = NULL, updated_at = now()
         WHERE _storage_id = $1`,
        [storageId, plan, description, prep.mainFile, archivePath],
      );
      return true;
    });
  } catch (e) {
    for (const p of placed) await rm(p, { recursive: true, force: true }).catch(() => {});
    throw e;
  }
}

/** Records a failure: updates the async row, or (sync) writes a failed row if the id is still free. */
export async function recordFailure(
  ctx: ManagerContext,
  job: UploadJob,
  f: UploadFailure,
  storageId?: number,
): Promise<void> {
  if (job.validateOnly) return;
  await ctx.db.transaction(async (tx) => {
    await lockId(tx, job.tenant.id, job.id);
    if (storageId !== undefined) {
      await tx.query(
        'UPDATE blueprints SET state = $2, error = $3, error_traceback = $4, updated_at = now() WHERE _storage_id = $1',
        [storageId, f.state, f.message, f.traceback],
      );
      return;
    }
    try {
      await claimId(tx, job);
    } catch {
      return; // someone else holds the id now; nothing to record
    }
    await insertRow(tx, job, f.state, { error: f.message, error_traceback: f.traceback });
  });
}
