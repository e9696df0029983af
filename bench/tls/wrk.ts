// The load generator of the TLS benchmark: wrk (Debian's package, C, one thread), so that the client
// costs little of the two cores the servers need. Keep-alive runs reuse 50 connections; handshake
// runs send `Connection: close`, so every request is a new TCP connection and a full TLS handshake
// (wrk never resumes a session).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number;
}

export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  if (process.getuid?.() !== 0) throw new Error('wrk is not installed: apt-get install wrk');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error('apt-get install wrk failed');
}

/** A wrk script whose every request lists 100 deployments from a random offset. */
export function listScript(dir: string, total: number): string {
  const file = join(dir, 'list.lua');
  writeFileSync(
    file,
    `request = function()\n  return wrk.format("GET", "/api/v3.1/deployments?_size=100&_offset=" .. math.random(0, ${total - 100}))\nend\n`,
  );
  return file;
}

const MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function latency(out: string, pct: string): number {
  const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
  return m ? Number(m[1]) * MS[m[2]!]! : Number.NaN;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests: num(/(\d+) requests in/),
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: latency(out, '50'),
    p99: latency(out, '99'),
    errors: num(/Non-2xx or 3xx responses: (\d+)/) + socketErrors,
  };
}

export interface WrkRun {
  url: string;
  seconds: number;
  connections: number;
  headers: Record<string, string>;
  script?: string;
}

export function runWrk(run: WrkRun): Promise<WrkResult & { raw: string }> {
  const args = ['-t1', `-c${run.connections}`, `-d${run.seconds}s`, '--timeout', '10s', '--latency'];
  for (const [k, v] of Object.entries(run.headers)) args.push('-H', `${k}: ${v}`);
  if (run.script) args.push('-s', run.script);
  args.push(run.url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), (run.seconds + 30) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) reject(new Error(`wrk exited with ${code}: ${out}`));
      else resolve({ ...parseWrk(out), raw: out });
    });
  });
}
