// The last steps of an upload: claim the id, place the prepared files in the file server and write the
// row (`uploaded`, or the failed state with its error), all under the id lock so that two uploads of one
// id in one tenant never interleave.
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type CloudifyError, conflict } from '../../common/errors.js';
import type { Db } from '../../store/port.js';
import {
  type BlueprintState,
  deleteBlueprintRow,
  FAILED_STATES,
  findIdHolder,
  type IdHolder,
  insertBlueprint,
  lockBlueprintId,
  lockBlueprintRow,
  markFailed,
  markUploaded,
} from '../../store/repositories/blueprints.js';
import type { ManagerContext } from '../context.js';
import { extensionOf } from './archive.js';
import { archiveDir, extractedDir, type Prepared, type UploadFailure, type UploadJob } from './upload.js';

/** The 409 of an id held by a live blueprint of this tenant, or by a global one. */
export function idTaken(job: UploadJob): CloudifyError {
  return conflict(
    `blueprint with id=${job.id} already exists on tenant ${job.tenant.name} or with global visibility`,
  );
}

/** True when the holder of an id may be replaced by a new upload: a failed upload in the same tenant. */
export function replaceable(holder: IdHolder, tenantId: number): boolean {
  return FAILED_STATES.includes(holder.state) && holder._tenant_id === tenantId;
}

/** 409 unless the id is free or holds a failed upload in this tenant, which is removed. */
export async function claimId(tx: Db, job: UploadJob): Promise<void> {
  const ex = await findIdHolder(tx, job.tenant.id, job.id);
  if (!ex) return;
  if (replaceable(ex, job.tenant.id)) {
    await deleteBlueprintRow(tx, ex._storage_id);
    return;
  }
  throw idTaken(job);
}

/** Inserts the row in `state` (the first step of an async upload, or a failed sync one). */
function insertRow(
  tx: Db,
  job: UploadJob,
  state: BlueprintState,
  fields: { error?: string | null; error_traceback?: string | null; main_file_name?: string | null } = {},
): Promise<number> {
  return insertBlueprint(tx, {
    id: job.id,
    visibility: job.visibility,
    tenantId: job.tenant.id,
    creatorId: job.userId,
    state,
    mainFileName: fields.main_file_name ?? job.mainFile ?? 'blueprint.yaml',
    error: fields.error ?? null,
    errorTraceback: fields.error_traceback ?? null,
    requirements: job.requirements,
    labels: job.labels,
  });
}

/** The first step of an async upload: under the id lock, claim the id and insert the row in `state`. */
export function insertPending(db: Db, job: UploadJob, state: BlueprintState): Promise<number> {
  return db.transaction(async (tx) => {
    await lockBlueprintId(tx, job.tenant.id, job.id);
    await claimId(tx, job);
    return insertRow(tx, job, state);
  });
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
      await lockBlueprintId(tx, job.tenant.id, job.id);
      if (storageId === undefined) await claimId(tx, job);
      else if (!(await lockBlueprintRow(tx, storageId))) return false;
      // No live row owns these paths now (the id lock is held), so whatever is there is stale.
      await place(prep.archiveDir, adir);
      placed.push(adir);
      await place(prep.root, xdir);
      placed.push(xdir);
      if (storageId === undefined) {
        storageId = await insertRow(tx, job, 'uploaded', { main_file_name: prep.mainFile });
      }
      await markUploaded(tx, storageId, {
        plan: prep.plan,
        description: typeof prep.plan?.description === 'string' ? prep.plan.description : null,
        mainFile: prep.mainFile,
        archivePath: `uploaded-blueprints/${job.tenant.name}/${job.id}/${job.id}.${extensionOf(prep.kind)}`,
      });
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
    await lockBlueprintId(tx, job.tenant.id, job.id);
    if (storageId !== undefined) {
      await markFailed(tx, storageId, { state: f.state, error: f.message, traceback: f.traceback });
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
