// A manager's local copy of blueprint files stored in the database: the extracted folder (the file
// server's blueprints/…, the worker's scripts) and the uploaded archive (downloads), each written out
// on first use into a scratch dir and renamed into place, so a reader sees a complete copy or none.
// Entries are named <storage id>-<files sha256>.folder|.archive: a re-upload under the same blueprint id
// gets another storage id and hash, so it is never served from a stale copy. Copies of blueprints
// that are gone are swept at start, after a local delete, and whenever a new copy is written.
import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Db } from '../port.js';
import {
  type FilesKey,
  loadEntries,
  type PackEntry,
  storedFilesKeys,
} from '../repositories/blueprint-files.js';
import { MissingFilesError, readRange } from './pack.js';

/** Scratch dirs older than this are left-overs of a process that died while writing them. */
const STALE_SCRATCH_MS = 3600_000;

const nameOf = (key: FilesKey, what: 'folder' | 'archive') => `${key.storageId}-${key.sha256}.${what}`;

export class BlueprintFilesCache {
  private readonly inflight = new Map<string, Promise<string>>();
  private sweeping: Promise<void> | undefined;
  private readonly entries: string;
  private readonly scratch: string;

  /** `dir`: the cache's own directory, on the same file system as the upload scratch dirs. */
  constructor(
    private readonly db: Db,
    dir: string,
  ) {
    this.entries = join(dir, 'blueprints');
    this.scratch = join(dir, 'tmp');
  }

  /** The blueprint's extracted folder on this machine, written out on first use. */
  folder(key: FilesKey): Promise<string> {
    return this.materialise(nameOf(key, 'folder'), (tmp) => writeFolder(this.db, key.storageId, tmp));
  }

  /** The blueprint's uploaded archive on this machine, written out on first use. */
  async archive(key: FilesKey): Promise<string> {
    const dir = await this.materialise(nameOf(key, 'archive'), (tmp) =>
      writeArchive(this.db, key.storageId, tmp),
    );
    const [name] = await readdir(dir);
    return join(dir, name);
  }

  /**
   * Takes over files just stored for `key` (the upload's extracted folder, the dir holding its
   * archive) as this machine's copy: the manager that took the upload never writes them out again.
   * Best effort: without it the copy is written out from the database on first use.
   */
  async adopt(key: FilesKey, from: { folder: string; archiveDir: string }): Promise<void> {
    await mkdir(this.entries, { recursive: true });
    for (const [what, src] of [
      ['folder', from.folder],
      ['archive', from.archiveDir],
    ] as const) {
      await rename(src, join(this.entries, nameOf(key, what))).catch(() => {});
    }
  }

  /** Removes this machine's copies of the blueprint `storageId` (it was deleted). */
  async evict(storageId: number): Promise<void> {
    const names = await readdir(this.entries).catch(() => [] as string[]);
    for (const n of names) {
      if (n.startsWith(`${storageId}-`)) await rm(join(this.entries, n), { recursive: true, force: true });
    }
  }

  /** Removes copies no stored blueprint owns any more and dead scratch dirs; one sweep at a time. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    // Listed before the live keys are read: a copy written after the query is never swept by mistake.
    const names = await readdir(this.entries).catch(() => [] as string[]);
    const live = new Set((await storedFilesKeys(this.db)).map((k) => `${k.storageId}-${k.sha256}`));
    for (const n of names) {
      if (!live.has(n.replace(/\.(folder|archive)$/, ''))) {
        await rm(join(this.entries, n), { recursive: true, force: true });
      }
    }
    for (const n of await readdir(this.scratch).catch(() => [] as string[])) {
      const st = await stat(join(this.scratch, n)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_SCRATCH_MS) {
        await rm(join(this.scratch, n), { recursive: true, force: true });
      }
    }
  }

  /** The entry `name`, built by `build` into a scratch dir and renamed into place if it is missing. */
  private materialise(name: string, build: (tmp: string) => Promise<void>): Promise<string> {
    const final = join(this.entries, name);
    let p = this.inflight.get(name);
    if (!p) {
      p = this.build(final, build).finally(() => this.inflight.delete(name));
      this.inflight.set(name, p);
    }
    return p;
  }

  private async build(final: string, build: (tmp: string) => Promise<void>): Promise<string> {
    if (await isDir(final)) return final;
    const tmp = join(this.scratch, randomUUID());
    await mkdir(tmp, { recursive: true });
    try {
      await build(tmp);
      await mkdir(this.entries, { recursive: true });
      await rename(tmp, final).catch(async (e: NodeJS.ErrnoException) => {
        // Another process (the REST service or the worker on this machine) was first: use its copy.
        if ((e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') || !(await isDir(final))) throw e;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    void this.sweep().catch(() => {});
    return final;
  }
}

const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() === true;

/** Writes the pack's folder entries under `dest`. */
async function writeFolder(db: Db, storageId: number, dest: string): Promise<void> {
  const entries = await loadEntries(db, storageId, 'folder');
  if (entries.length === 0) throw new MissingFilesError(`blueprint files ${storageId}: no folder entries`);
  const files: PackEntry[] = [];
  for (const e of entries) {
    const abs = join(dest, ...e.path.split('/'));
    if (e.kind === 'dir') await mkdir(abs, { recursive: true, mode: e.mode | 0o700 });
    else if (e.kind === 'file') files.push(e);
  }
  files.sort((a, b) => a.pos - b.pos);
  await writeFiles(db, storageId, dest, files);
  // Links last: their targets were checked at upload to stay inside the folder.
  for (const e of entries) {
    if (e.kind !== 'symlink') continue;
    const abs = join(dest, ...e.path.split('/'));
    await mkdir(dirname(abs), { recursive: true });
    await symlink(e.link_target ?? '', abs);
  }
}

/** Writes `files` (sorted by position) from one pass over their range of the pack. */
async function writeFiles(db: Db, storageId: number, dest: string, files: PackEntry[]): Promise<void> {
  if (files.length === 0) return;
  const from = files[0].pos;
  const to = files.reduce((end, f) => Math.max(end, f.pos + f.size), from);
  let i = -1;
  let fh: FileHandle | undefined;
  let at = from;
  const next = async () => {
    await fh?.close();
    fh = undefined;
    i++;
    if (i >= files.length) return;
    const abs = join(dest, ...files[i].path.split('/'));
    await mkdir(dirname(abs), { recursive: true });
    fh = await open(abs, 'wx', files[i].mode | 0o600);
  };
  try {
    await next();
    // Empty files at the start are created and closed before any byte arrives.
    while (i < files.length && at >= files[i].pos + files[i].size) await next();
    for await (const piece of readRange(db, storageId, from, to)) {
      let off = 0;
      while (off < piece.length && i < files.length) {
        const f = files[i];
        const skip = Math.max(0, Math.min(f.pos - at, piece.length - off));
        off += skip;
        at += skip;
        const n = Math.min(f.pos + f.size - at, piece.length - off);
        if (n > 0 && fh) await writeAll(fh, piece.subarray(off, off + n));
        off += Math.max(0, n);
        at += Math.max(0, n);
        while (i < files.length && at >= files[i].pos + files[i].size) await next();
      }
    }
  } finally {
    await fh?.close();
  }
  if (i < files.length)
    throw new MissingFilesError(`blueprint files ${storageId}: ${files[i].path} incomplete`);
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; ) done += (await fh.write(data, done)).bytesWritten;
}

/** Writes the pack's archive entry into `dest` under its file name. */
async function writeArchive(db: Db, storageId: number, dest: string): Promise<void> {
  const [a] = await loadEntries(db, storageId, 'archive');
  if (!a) throw new MissingFilesError(`blueprint files ${storageId}: no archive entry`);
  await writeFiles(db, storageId, dest, [a]);
}

const caches = new WeakMap<Db, Map<string, BlueprintFilesCache>>();

/** The cache of this process for `db` under `resourcesDir` (its `.cache` dir), shared by its users. */
export function blueprintFilesCache(db: Db, resourcesDir: string): BlueprintFilesCache {
  let byDir = caches.get(db);
  if (!byDir) {
    byDir = new Map();
    caches.set(db, byDir);
  }
  let cache = byDir.get(resourcesDir);
  if (!cache) {
    cache = new BlueprintFilesCache(db, join(resourcesDir, '.cache'));
    byDir.set(resourcesDir, cache);
  }
  return cache;
}
