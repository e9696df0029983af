// Writers for the failover tests: a few loops that insert through one Db and log each outcome with the
// server that answered, so a test can read "first write on the new leader" and "no write failed" off
// the log. A write that hangs (a primary whose commits wait for a lost sync standby) is left running
// after 2 s and the loop goes on, its outcome logged whenever it comes.
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import type { Db } from '../../src/store/port.js';

export interface Write {
  /** An INSERT, or a read of the server's address (which needs no sync standby to succeed). */
  kind: 'write' | 'read';
  /** When the outcome came (Date.now()). */
  at: number;
  ok: boolean;
  /** The server that committed it. */
  ip?: string;
  id?: number;
  err?: string;
}

export interface Writers {
  log: Write[];
  /** Writes committed by `ip` after `since`. */
  okOn(ip: string, since: number): Write[];
  failed(since: number): Write[];
  /** The first write (or read) answered after `since` by another server than `not`. */
  firstElsewhere(not: string, since: number, kind?: Write['kind']): Write | undefined;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const WRITES_TABLE =
  'CREATE TABLE IF NOT EXISTS failover_writes (id bigserial PRIMARY KEY, writer int NOT NULL, at timestamptz NOT NULL DEFAULT now())';

/** `count` writers and one reader, each a loop of single statements outside a transaction. */
export function startWriters(db: Db, count: number): Writers {
  const log: Write[] = [];
  let stopping = false;
  const record = (kind: Write['kind'], p: Promise<{ id?: string; ip: string }[]>) =>
    p.then(
      ([r]) => log.push({ kind, at: Date.now(), ok: true, ip: r.ip, id: Number(r.id) }),
      (err: Error) => log.push({ kind, at: Date.now(), ok: false, err: err.message.split('\n')[0] }),
    );
  const loop = async (writer: number) => {
    while (!stopping) {
      const kind = writer < 0 ? 'read' : 'write';
      const p = db.query<{ id?: string; ip: string }>(
        kind === 'read'
          ? 'SELECT host(inet_server_addr()) AS ip'
          : 'INSERT INTO failover_writes (writer) VALUES ($1) RETURNING id, host(inet_server_addr()) AS ip',
        kind === 'read' ? [] : [writer],
      );
      const before = log.length;
      const done = record(kind, p);
      if ((await Promise.race([done.then(() => 'done'), sleep(2000).then(() => 'hung')])) === 'hung')
        continue;
      if (!log[before]?.ok) await sleep(100);
    }
  };
  const loops = [-1, ...Array.from({ length: count }, (_, i) => i)].map(loop);
  return {
    log,
    okOn: (ip, since) => log.filter((w) => w.kind === 'write' && w.ok && w.ip === ip && w.at > since),
    failed: (since) => log.filter((w) => !w.ok && w.at > since),
    firstElsewhere: (not, since, kind = 'write') =>
      log.find((w) => w.kind === kind && w.ok && w.at > since && w.ip !== not),
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

export interface PgFiles {
  ca: string;
  cert: string;
  key: string;
  password: string;
}

/**
 * How a bare session check sees the hosts: those that accept a session on a primary (postgres.js
 * target_session_attrs=primary). Used to show what the leader search would believe without Patroni.
 */
export async function primariesBySession(ips: string[], f: PgFiles): Promise<string[]> {
  const ca = readFileSync(f.ca, 'utf8');
  const seen = await Promise.all(
    ips.map(async (ip) => {
      const sql = postgres({
        host: ip,
        user: 'postgres',
        password: f.password,
        database: 'postgres',
        ssl: { ca, host: ip, rejectUnauthorized: true } as object,
        max: 1,
        connect_timeout: 3,
        target_session_attrs: 'primary',
        onnotice: () => {},
      });
      try {
        await sql`SELECT 1`;
        return ip;
      } catch {
        return undefined;
      } finally {
        await sql.end({ timeout: 0 });
      }
    }),
  );
  return seen.filter((x): x is string => x !== undefined);
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
