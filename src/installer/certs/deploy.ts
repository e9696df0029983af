// Copying supplied certificates into place (reference §3.3): an existing, different destination is
// backed up as YYYYmmdd-HHMMSS_<name>; copies are chowned to the service's user; keys 0400 or 0440,
// certs 0444. Users are looked up with getent so no Node-side passwd parsing is needed.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileError } from '../errors.js';
import { run } from '../exec.js';
import { Logger } from '../log.js';

const log = new Logger('certificates');

export function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export async function lookupIds(user: string, group = user): Promise<{ uid: number; gid: number }> {
  const u = await run(['getent', 'passwd', user], { ignoreFailure: true });
  const g = await run(['getent', 'group', group], { ignoreFailure: true });
  if (u.code !== 0 || g.code !== 0) throw new FileError(`User or group ${user}:${group} does not exist`);
  return { uid: Number(u.stdout.split(':')[2]), gid: Number(g.stdout.split(':')[2]) };
}

export interface CopySpec {
  src: string;
  dest: string;
  owner: string;
  group?: string;
  mode: number;
}

export async function copyFile(spec: CopySpec): Promise<void> {
  if (!existsSync(spec.src)) throw new FileError(`${spec.src} does not exist`);
  mkdirSync(dirname(spec.dest), { recursive: true });
  const data = readFileSync(spec.src);
  if (existsSync(spec.dest) && !readFileSync(spec.dest).equals(data)) {
    const backup = join(dirname(spec.dest), `${timestamp()}_${basename(spec.dest)}`);
    renameSync(spec.dest, backup);
    log.debug(`Backed up ${spec.dest} to ${backup}`);
  }
  if (spec.src !== spec.dest) {
    // Make it writable for the copy (an earlier copy may be 0400), then set the final mode.
    if (existsSync(spec.dest)) chmodSync(spec.dest, 0o600);
    copyFileSync(spec.src, spec.dest);
  }
  const { uid, gid } = await lookupIds(spec.owner, spec.group);
  chownSync(spec.dest, uid, gid);
  chmodSync(spec.dest, spec.mode);
  log.debug(
    `Deployed ${spec.src} -> ${spec.dest} (${spec.owner}:${spec.group ?? spec.owner} ${spec.mode.toString(8)})`,
  );
}

/** cert 0444, key 0400 (or 0440 with keyMode), CA 0444, all owned by owner. */
export async function deployTriple(
  t: { cert: string; key: string; ca?: string },
  dest: { cert: string; key: string; ca?: string },
  owner: string,
  opts: { group?: string; keyMode?: number } = {},
): Promise<void> {
  const group = opts.group;
  await copyFile({ src: t.cert, dest: dest.cert, owner, group, mode: 0o444 });
  await copyFile({ src: t.key, dest: dest.key, owner, group, mode: opts.keyMode ?? 0o400 });
  if (t.ca && dest.ca) await copyFile({ src: t.ca, dest: dest.ca, owner, group, mode: 0o444 });
}
