// A local PostgreSQL 15 primary with one streaming hot standby (pg_basebackup -R), for the server
// driver's failover tests without a lab: stop the primary, promote the standby, as Patroni would.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const BIN = '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;
const PASSWORD = 'stratus-test';

function asPg(cmd: string, args: string[], env: Record<string, string> = {}): void {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const r = isRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', 'env', ...envArgs, cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

export interface Node {
  port: number;
  data: string;
  stop(): void;
  start(): void;
  promote(): void;
}

export interface ReplicaPair {
  primary: Node;
  standby: Node;
  /** The URL of both, standby first. */
  url(database?: string): string;
  down(): Promise<void>;
}

const node = (port: number, dir: string): Node => {
  const data = join(dir, 'data');
  const ctl = (...a: string[]) => asPg(join(BIN, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...a]);
  return {
    port,
    data,
    stop: () => ctl('-m', 'immediate', 'stop'),
    start: () => ctl('-l', join(dir, 'log'), 'start'),
    promote: () => ctl('promote'),
  };
};

export async function startReplicaPair(): Promise<ReplicaPair> {
  const pg: TestPostgres = await startPostgres({ password: PASSWORD });
  const dir = mkdtempSync(join(tmpdir(), 'stratus-pg-standby-'));
  try {
    if (isRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(dir, uid, gid);
    }
    asPg(
      join(BIN, 'pg_basebackup'),
      [
        '-D',
        join(dir, 'data'),
        '-h',
        '127.0.0.1',
        '-p',
        String(pg.port),
        '-U',
        'postgres',
        '-R',
        '-X',
        'stream',
      ],
      { PGPASSWORD: PASSWORD },
    );
    const port = await freePort();
    // Later lines of postgresql.auto.conf win over the primary's copied settings.
    appendFileSync(
      join(dir, 'data', 'postgresql.auto.conf'),
      `port=${port}\nunix_socket_directories='${dir}'\n`,
    );
    const standby = node(port, dir);
    standby.start();
    const primary = node(pg.port, pg.dir);
    return {
      primary,
      standby,
      url: (db = 'postgres') =>
        `postgres://postgres:${PASSWORD}@127.0.0.1:${port},127.0.0.1:${pg.port}/${db}`,
      async down() {
        try {
          standby.stop();
        } catch {}
        rmSync(dir, { recursive: true, force: true });
        // pg.stop removes its dir even when pg_ctl finds the primary already stopped.
        await pg.stop().catch(() => {});
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    await pg.stop();
    throw err;
  }
}
