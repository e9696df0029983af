// The blueprint upload pipeline (rest-api.md §1.3): bytes in a temp dir → extracting → parsing →
// uploaded, or a failed_* state with the error. This file prepares everything inside the job's scratch
// dir; commit.ts then stores the files in the database with the row marked `uploaded`, only once every
// step succeeded, so a failure leaves no files behind.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as tarCreate } from 'tar';
import { parse as parseYaml } from 'yaml';
import type { BlueprintState, Visibility } from '../../store/repositories/blueprints.js';
import type { ManagerContext } from '../context.js';
import type { Scope } from '../../store/repositories/list.js';
import { CloudifyError, invalidBlueprint, payloadTooLarge } from '../../common/errors.js';
import { type ArchiveKind, ArchiveError, detectKind, extensionOf, extractArchive } from './archive.js';

export interface UploadJob {
  id: string;
  tenant: { id: number; name: string };
  userId: number;
  /** Who uploads: the plugins a `plugin:` import may name are those this scope sees. */
  scope: Scope;
  visibility: Visibility;
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
    readonly state: BlueprintState,
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

/**
 * Where a manager kept a blueprint's archive and extracted folder on its own disk before the files were
 * stored in the database (migration 0003): read for blueprints not imported yet (files.ts).
 */
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
  onState: (s: BlueprintState) => Promise<void>,
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
      plan = await ctx.parseBlueprint(root, mainFile, job.scope);
    } catch (e) {
      const err = e as Error & { code?: unknown; errorCode?: unknown };
      const code = err.code !== undefined && err.code !== null ? ` (code ${String(err.code)})` : '';
      throw new UploadFailure(
        job.validateOnly ? 'invalid' : 'failed_parsing',
        `${err.message}${code}`,
        400,
        // A `plugin:` import no uploaded plugin answers is Cloudify's invalid_plugin_error.
        err.errorCode === 'invalid_plugin_error' ? 'invalid_plugin_error' : 'invalid_blueprint_error',
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
