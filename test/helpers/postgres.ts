// A throwaway PostgreSQL 15 for the server-driver suites: initdb and pg_ctl in a temp dir, on a free
// port, removed afterwards. As root it installs the Debian package when missing and runs as `postgres`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

export interface TestPostgres {
  url: string;
  port: number;
  dir: string;
  /**
   * `pg_ctl restart -m fast`: every session is terminated, the server is down for a moment; with
   * `downMs`, a fast stop, that long down, and a start.
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export function ensurePostgresInstalled(): void {
  if (existsSync(join(BIN, 'initdb'))) return;
  if (!isRoot)
    throw new Error(`PostgreSQL 15 is not installed (${BIN}); run as root or: apt-get install postgresql-15`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql-15'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function asPg(cmd: string, args: string[]): void {
  const r = isRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
}

/** Start a fresh server; `password` is set for the `postgres` superuser, who must use it over TCP. */
export async function startPostgres(opts: { password?: string; conf?: string } = {}): Promise<TestPostgres> {
  ensurePostgresInstalled();
  const password = opts.password ?? 'stratus-test';
  const dir = mkdtempSync(join(tmpdir(), 'stratus-pg-'));
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password + '\n');
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  asPg(join(BIN, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '-A',
    'scram-sha-256',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  const conf = [
    `listen_addresses='127.0.0.1'`,
    `port=${port}`,
    `unix_socket_directories='${dir}'`,
    'fsync=off',
  ];
  if (opts.conf) conf.push(opts.conf);
  writeFileSync(join(data, 'postgresql.auto.conf'), conf.join('\n') + '\n');
  if (isRoot) execFileSync('chown', ['postgres:postgres', join(data, 'postgresql.auto.conf')]);
  asPg(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async restart(downMs) {
      const ctl = (...args: string[]) =>
        asPg(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), ...args]);
      if (downMs === undefined) return ctl('-m', 'fast', '-w', '-t', '60', 'restart');
      ctl('-m', 'fast', '-w', '-t', '60', 'stop');
      await new Promise((r) => setTimeout(r, downMs));
      ctl('-w', '-t', '60', 'start');
    },
    async stop() {
      try {
        asPg(join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
