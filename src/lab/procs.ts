// Finding and signalling the lab's processes through /proc, by PID only. A node's processes are
// exactly those in its network namespace; a PID is trusted only together with its start time.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcRef {
  pid: number;
  start: number; // clock ticks since boot, from /proc/PID/stat: tells a reused PID apart
}

function stat(pid: number): { state: string; ppid: number; start: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, ppid: Number(f[1]), start: Number(f[19]) };
  } catch {
    return undefined;
  }
}

export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s ? { pid, start: s.start } : undefined;
}

/** Alive means it exists, is the same process we recorded, and is not a zombie waiting to be reaped. */
export function isAlive(ref: ProcRef | undefined): boolean {
  if (!ref) return false;
  const s = stat(ref.pid);
  return s !== undefined && s.start === ref.start && s.state !== 'Z' && s.state !== 'X';
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Live (non-zombie) processes whose network namespace is the given inode. */
export function pidsInNetns(inode: number): number[] {
  const want = `net:[${inode}]`;
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) !== want) continue;
    } catch {
      continue;
    }
    const s = stat(pid);
    if (s && s.state !== 'Z' && s.state !== 'X') out.push(pid);
  }
  return out;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
