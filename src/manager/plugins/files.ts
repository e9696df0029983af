// A plugin's files as this manager serves them: its local copy under resources/plugins/<id>/ (the wagon
// under its archive_name, the plugin YAML, icon.png), written from the database when missing (built
// aside, renamed into place), so any manager of a cluster serves any plugin (decision 18).
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PluginMeta, pluginFiles, readWagonChunks } from '../../store/repositories/plugins.js';
import type { ManagerContext } from '../context.js';
import { pluginDir } from './upload.js';

const BATCH = 8;

/** Writes `path` from the wagon's chunks in the database (to a temp name, then renamed). */
async function writeWagon(ctx: ManagerContext, p: PluginMeta, path: string): Promise<void> {
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
}

const isFile = async (path: string, size?: number) => {
  const st = await stat(path).catch(() => undefined);
  return st?.isFile() === true && (size === undefined || st.size === size);
};

/** The path of the wagon on this manager, written from the database when missing. */
export async function wagonFile(ctx: ManagerContext, p: PluginMeta): Promise<string> {
  const path = join(pluginDir(ctx, p.id), p.archiveName);
  if (await isFile(path, p.wagonSize)) return path;
  await mkdir(pluginDir(ctx, p.id), { recursive: true });
  await writeWagon(ctx, p, path);
  return path;
}

/**
 * Makes this manager's copy of plugin `id` complete before the file server reads it (a plugin uploaded
 * through another manager); nothing when there is no such plugin.
 */
export async function ensurePluginCopy(ctx: ManagerContext, id: string): Promise<void> {
  if (!/^[\w-]+$/.test(id)) return;
  const p = await pluginFiles(ctx.db, id);
  if (!p) return;
  const dir = pluginDir(ctx, id);
  await wagonFile(ctx, p);
  if (p.yamlName && p.yamlText !== null && !(await isFile(join(dir, p.yamlName))))
    await writeFile(join(dir, p.yamlName), p.yamlText);
  if (p.icon && !(await isFile(join(dir, 'icon.png'))))
    await writeFile(join(dir, 'icon.png'), Buffer.from(p.icon, 'base64'));
}

/** Removes this manager's copy of a deleted plugin. */
export const removeLocalCopy = (ctx: ManagerContext, id: string) =>
  rm(pluginDir(ctx, id), { recursive: true, force: true });
