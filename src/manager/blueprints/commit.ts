// The last steps of an upload: claim the id, write the row (`uploaded` with its files stored in the
// database, or the failed state with its error), all under the id lock so that two uploads of one id in
// one tenant never interleave.
import { join } from 'node:path';
import { type CloudifyError, conflict } from '../../common/errors.js';
import { blueprintFilesCache } from '../../store/files/cache.js';
import { writeBlueprintFiles } from '../../store/files/pack.js';
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
import type { Prepared, UploadFailure, UploadJob } from './upload.js';

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

/**
 * The last step: under the id lock, in one transaction, write the `uploaded` row (insert, or update row
 * `storageId` of an async upload) and store the blueprint's files with it (the archive and the
 * extracted folder, so that every manager serves them). Once committed, the prepared files become this
 * manager's local copy. Returns false when the async row disappeared meanwhile (deleted with force).
 */
export async function commit(
  ctx: ManagerContext,
  job: UploadJob,
  prep: Prepared,
  storageId?: number,
): Promise<boolean> {
  const archiveName = `${job.id}.${extensionOf(prep.kind)}`;
  const key = await ctx.db.transaction(async (tx) => {
    await lockBlueprintId(tx, job.tenant.id, job.id);
    let sid = storageId;
    if (sid === undefined) await claimId(tx, job);
    else if (!(await lockBlueprintRow(tx, sid))) return undefined;
    sid ??= await insertRow(tx, job, 'uploaded', { main_file_name: prep.mainFile });
    const sha256 = await writeBlueprintFiles(tx, sid, {
      archive: join(prep.archiveDir, archiveName),
      archiveName,
      folder: prep.root,
    });
    await markUploaded(tx, sid, {
      plan: prep.plan,
      description: typeof prep.plan?.description === 'string' ? prep.plan.description : null,
      mainFile: prep.mainFile,
      archivePath: `uploaded-blueprints/${job.tenant.name}/${job.id}/${archiveName}`,
      filesSha256: sha256,
    });
    return { storageId: sid, sha256 };
  });
  if (!key) return false;
  await blueprintFilesCache(ctx.db, ctx.resourcesDir)
    .adopt(key, { folder: prep.root, archiveDir: prep.archiveDir })
    .catch(() => {});
  return true;
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
