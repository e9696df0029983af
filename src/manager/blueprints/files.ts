// A blueprint's files as this manager serves them. They are stored in the database with the blueprint
// row (commit.ts), so any manager of a cluster serves any blueprint; each manager works from its local
// copy (store/files/cache.ts). Blueprints uploaded before the files were stored (migration 0003) are
// imported at start by the manager whose disk has them, and served from that disk until then.
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type BlueprintFilesCache, blueprintFilesCache } from '../../store/files/cache.js';
import { MissingFilesError, writeBlueprintFiles } from '../../store/files/pack.js';
import {
  type FilesKey,
  filesOfPath,
  lockUnstored,
  setFilesSha256,
  type StoredFiles,
  unstoredBlueprints,
  uploadedIdsOfTenant,
} from '../../store/repositories/blueprint-files.js';
import type { ManagerContext } from '../context.js';
import { extractedDir } from './upload.js';

/** The file-server areas that hold blueprint files: extracted folders, uploaded archives. */
export const BLUEPRINT_AREAS = new Set(['blueprints', 'uploaded-blueprints']);

export const filesCache = (ctx: ManagerContext): BlueprintFilesCache =>
  blueprintFilesCache(ctx.db, ctx.resourcesDir);

const keyOf = (f: { storageId: number; filesSha256: string | null }): FilesKey | undefined =>
  f.filesSha256 ? { storageId: f.storageId, sha256: f.filesSha256 } : undefined;

const exists = async (p: string, dir: boolean) => {
  const st = await stat(p).catch(() => undefined);
  return st !== undefined && (dir ? st.isDirectory() : st.isFile());
};

/** This manager's path of a blueprint's uploaded archive; undefined when it is not available. */
export async function archiveFile(
  ctx: ManagerContext,
  f: { storageId: number; filesSha256: string | null; archivePath: string | null },
): Promise<string | undefined> {
  const key = keyOf(f);
  if (!key) return f.archivePath ? join(ctx.resourcesDir, ...f.archivePath.split('/')) : undefined;
  return filesCache(ctx)
    .archive(key)
    .catch((e) => {
      if (e instanceof MissingFilesError) return undefined;
      throw e;
    });
}

/** What a file-server path under blueprints/ or uploaded-blueprints/ names. */
export type BlueprintTarget = { root: string; rest: string[] } | { list: string[] };

/**
 * Resolves `<area>/<tenant>[/<id>[/…]]`: the tenant's uploaded blueprints (a listing), or the local
 * copy of one blueprint's folder or archive dir plus the path inside it. Undefined: no such thing.
 */
export async function blueprintTarget(
  ctx: ManagerContext,
  [area, tenant, id, ...rest]: string[],
): Promise<BlueprintTarget | undefined> {
  if (!id) {
    const ids = await uploadedIdsOfTenant(ctx.db, tenant);
    return ids.length ? { list: ids.map((i) => `${i}/`) } : undefined;
  }
  const f = await filesOfPath(ctx.db, tenant, id);
  if (!f) return undefined;
  const key = keyOf(f);
  if (!key) return { root: join(ctx.resourcesDir, area, tenant, id), rest };
  try {
    const cache = filesCache(ctx);
    const root = area === 'blueprints' ? await cache.folder(key) : dirname(await cache.archive(key));
    return { root, rest };
  } catch (e) {
    if (e instanceof MissingFilesError) return undefined; // deleted meanwhile
    throw e;
  }
}

/**
 * At start: sweeps the local copies, then stores the files of blueprints uploaded before they were
 * kept in the database, when this manager's disk has them. Returns what it did, in one sentence.
 */
export async function startBlueprintFiles(ctx: ManagerContext): Promise<string> {
  const cache = filesCache(ctx);
  await cache.sweep();
  const pending = await unstoredBlueprints(ctx.db);
  let imported = 0;
  for (const b of pending) if (await importFiles(ctx, cache, b)) imported++;
  if (pending.length === 0) return 'blueprint files: all stored in the database';
  return `blueprint files: stored ${imported} of ${pending.length} blueprints kept on disk only; the rest are on other managers' disks`;
}

/** Stores the on-disk files of blueprint `b` and makes them the local copy; false when not here. */
async function importFiles(
  ctx: ManagerContext,
  cache: BlueprintFilesCache,
  b: StoredFiles,
): Promise<boolean> {
  if (!b.archivePath) return false;
  const folder = extractedDir(ctx, b.tenantName, b.id);
  const archive = join(ctx.resourcesDir, ...b.archivePath.split('/'));
  if (!(await exists(folder, true)) || !(await exists(archive, false))) return false;
  const key = await ctx.db.transaction(async (tx) => {
    if (!(await lockUnstored(tx, b.storageId))) return undefined;
    const sha256 = await writeBlueprintFiles(tx, b.storageId, {
      archive,
      archiveName: basename(archive),
      folder,
    });
    await setFilesSha256(tx, b.storageId, sha256);
    return { storageId: b.storageId, sha256 };
  });
  if (!key) return false;
  await cache.adopt(key, { folder, archiveDir: dirname(archive) });
  return true;
}
