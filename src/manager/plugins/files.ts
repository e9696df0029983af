// A plugin's wagon as this manager serves it: the local copy under resources/plugins/<id>/<archive_name>
// when it is there with the stored size, else written from the database's chunks (built aside, renamed
// into place), so any manager of a cluster serves any plugin (decision 18).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginMeta, readWagonChunks } from '../../store/repositories/plugins.js';
import type { ManagerContext } from '../context.js';
import { pluginDir } from './upload.js';

const BATCH = 8;

/** The path of the wagon on this manager, written from the database when missing. */
export async function wagonFile(ctx: ManagerContext, p: PluginMeta): Promise<string> {
  const dir = pluginDir(ctx, p.id);
  const path = join(dir, p.archiveName);
  const st = await stat(path).catch(() => undefined);
  if (st?.isFile() && st.size === p.wagonSize) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.part`;
  const out = createWriteStream(tmp);
  try {
    let pos = 0;
    for (;;) {
      const rows = await readWagonChunks(ctx.db, p.storageId, pos, BATCH);
      if (rows.length === 0) break;
      for (const r of rows) {
        const buf = Buffer.from(r.data, 'base64');
        if (!out.write(buf)) await new Promise<void>((res) => out.once('drain', () => res()));
        pos = r.pos + buf.length;
      }
    }
    await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
    await rename(tmp, path);
  } catch (e) {
    out.destroy();
    await rm(tmp, { force: true });
    throw e;
  }
  return path;
}

/** Removes this manager's copy of a deleted plugin. */
export const removeLocalCopy = (ctx: ManagerContext, id: string) =>
  rm(pluginDir(ctx, id), { recursive: true, force: true });
