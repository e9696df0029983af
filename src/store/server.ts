// Server driver: a real PostgreSQL through postgres.js, on one host or on a Patroni cluster's hosts.
// The leader is found and followed by leader-pool.ts; this file parses the URL and keeps the Db port's
// promises: a statement outside a transaction that failed without effect on a lost leader, or that only
// reads, is sent once more on the new one; a transaction whose work had begun is never retried.
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';
import { connectionClosing, leaderLost, readOnly, safeToResend } from './db-errors.js';
import type { HostPort } from './leader.js';
import { createLeaderPool, type LeaderPool, type Sql } from './leader-pool.js';
import type { Db } from './port.js';

export interface ServerDbOptions {
  hosts: HostPort[];
  user: string;
  password?: string;
  database: string;
  /** TLS: 'disable' or 'verify-full' (CA required; client cert and key optional). */
  sslmode?: 'disable' | 'require' | 'verify-full';
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** Patroni's REST API port: ask Patroni who leads (needs TLS files: its CA and a client cert). */
  patroniPort?: number;
  /** CA of Patroni's REST API (default: sslrootcert); client cert and key (default: sslcert, sslkey). */
  patroniCa?: string;
  patroniCert?: string;
  patroniKey?: string;
  maxConnections?: number;
  /** How long a statement during a failover (and the open, during an election) waits for a leader. @default 30000 */
  leaderWaitMs?: number;
  /** How long a plain read waits for a leader before any member that takes a session answers it. @default 3000 */
  readFallbackMs?: number;
}

const URL_RE = /^postgres(?:ql)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)(?:\/([^?]*))?(?:\?(.*))?$/;

/**
 * Parse `postgres://user:pass@h1:5432,h2:5433/db?sslmode=verify-full&sslrootcert=…[&sslcert=…&sslkey=…]`
 * with, for a Patroni cluster, `patroni_port=8008` and optionally `patroni_ca`, `patroni_cert`, `patroni_key`.
 */
export function parseDbUrl(url: string): ServerDbOptions {
  const m = URL_RE.exec(url);
  if (!m) throw new Error(`Invalid database URL: expected postgres://user:password@host:port/database`);
  const [, user, password, hostList, database, query] = m;
  const hosts = hostList.split(',').map((h) => {
    const hm = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
    if (!hm) throw new Error(`Invalid database host "${h}" in URL`);
    return { host: hm[1].replace(/^\[|\]$/g, ''), port: hm[2] ? Number(hm[2]) : 5432 };
  });
  const q = new URLSearchParams(query ?? '');
  const sslmode = (q.get('sslmode') ?? 'disable') as ServerDbOptions['sslmode'];
  if (!['disable', 'require', 'verify-full'].includes(sslmode!)) {
    throw new Error(`Unsupported sslmode "${sslmode}": use disable, require or verify-full`);
  }
  const patroni = q.get('patroni_port');
  if (patroni !== null && !/^\d{1,5}$/.test(patroni)) {
    throw new Error(
      `Invalid patroni_port "${patroni}" in the database URL: use the REST API port, e.g. 8008`,
    );
  }
  const opt = (k: string) => q.get(k) ?? undefined;
  return {
    hosts,
    user: decodeURIComponent(user || 'postgres'),
    password: password === undefined ? undefined : decodeURIComponent(password),
    database: decodeURIComponent(database || 'postgres'),
    sslmode,
    sslrootcert: opt('sslrootcert'),
    sslcert: opt('sslcert'),
    sslkey: opt('sslkey'),
    ...(patroni === null ? {} : { patroniPort: Number(patroni) }),
    ...(q.has('patroni_ca') ? { patroniCa: opt('patroni_ca') } : {}),
    ...(q.has('patroni_cert') ? { patroniCert: opt('patroni_cert') } : {}),
    ...(q.has('patroni_key') ? { patroniKey: opt('patroni_key') } : {}),
  };
}

const read = (path: string | undefined, what: string): string | undefined => {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
};

function tlsOptions(o: ServerDbOptions): false | Record<string, unknown> {
  if (!o.sslmode || o.sslmode === 'disable') return false;
  if (o.sslmode === 'require') return { rejectUnauthorized: false };
  if (!o.sslrootcert) throw new Error('sslmode verify-full needs sslrootcert (the CA certificate path)');
  // leader-pool adds `host` per pool: Node checks the certificate against it (an IP SAN for an IP).
  return {
    rejectUnauthorized: true,
    ca: read(o.sslrootcert, 'sslrootcert'),
    cert: read(o.sslcert, 'sslcert'),
    key: read(o.sslkey, 'sslkey'),
  };
}

function patroniAccess(o: ServerDbOptions) {
  if (o.patroniPort === undefined) return undefined;
  const ca = read(o.patroniCa ?? o.sslrootcert, 'patroni_ca');
  if (!ca) throw new Error('patroni_port needs the Patroni CA: set patroni_ca or sslrootcert');
  return {
    port: o.patroniPort,
    ca,
    cert: read(o.patroniCert ?? o.sslcert, 'patroni_cert'),
    key: read(o.patroniKey ?? o.sslkey, 'patroni_key'),
  };
}

type PendingQuery = PromiseLike<unknown>;

/**
 * One statement outside a transaction, sent once more on the new leader when that is safe: it never
 * reached a server, or it only reads (`readOnly`). A plain read waits for a leader only so long: then any
 * member answers it (LeaderPool.read).
 */
async function statement<T>(pool: LeaderPool, send: (sql: Sql) => PendingQuery, reads = false): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const leader = await (reads ? pool.read() : pool.get());
    const q = send(leader.sql);
    try {
      return (await q) as unknown as T;
    } catch (err) {
      if (!leaderLost(err)) throw err;
      pool.lost(leader);
      if (attempt > 0 || !(reads || safeToResend(err, q))) throw err;
    }
  }
}

/**
 * A statement of a transaction whose session's connection closed does not settle (for a minute): the
 * transaction itself rejects at once with the close (postgres.js races its work against the
 * connection's close). Were the statement to reject, postgres.js would write its ROLLBACK on the
 * closed connection, and that write throws outside any promise and ends the process (postgres.js
 * 3.4.9, porsager/postgres#1208).
 */
async function heldOnClose<T>(p: PromiseLike<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (connectionClosing(err)) await new Promise((r) => setTimeout(r, 60_000).unref());
    throw err;
  }
}

/** The Db of an open transaction: its statements run on the transaction's session, never resent. */
function inTransaction(tx: postgres.TransactionSql): Db {
  const db: Db = {
    driver: 'server',
    async query<T>(text: string, params: unknown[] = []) {
      return (await heldOnClose(
        tx.unsafe(text, params as postgres.ParameterOrJSON<never>[]),
      )) as unknown as T[];
    },
    transaction: (fn) => fn(db),
    async exec(text: string) {
      await heldOnClose(tx.unsafe(text).simple());
    },
    async close() {},
  };
  return db;
}

function serverDb(pool: LeaderPool): Db {
  return {
    driver: 'server',
    query: <T>(text: string, params: unknown[] = []) =>
      statement<T[]>(
        pool,
        (sql) => sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]),
        readOnly(text),
      ),
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      for (let attempt = 0; ; attempt++) {
        const leader = await pool.get();
        let begun = false;
        try {
          return (await leader.sql.begin((tx) => {
            begun = true;
            return fn(inTransaction(tx));
          })) as T;
        } catch (err) {
          if (!leaderLost(err)) throw err;
          pool.lost(leader);
          // Only a transaction that never reached the caller's work may start again.
          if (begun || attempt > 0) throw err;
        }
      }
    },
    async exec(text: string) {
      await statement(pool, (sql) => sql.unsafe(text).simple());
    },
    close: () => pool.close(),
  };
}

/**
 * Opens the pool on the leader and returns the Db. Fails at once when no host answers; waits up to
 * leaderWaitMs while hosts answer but none leads (an election in progress).
 */
export async function openServer(o: ServerDbOptions): Promise<Db> {
  const pool = createLeaderPool({
    hosts: o.hosts,
    connection: {
      user: o.user,
      password: o.password,
      database: o.database,
      max: o.maxConnections ?? 10,
      connect_timeout: 10,
      onnotice: () => {},
    },
    tls: tlsOptions(o),
    patroni: patroniAccess(o),
    leaderWaitMs: o.leaderWaitMs,
    readFallbackMs: o.readFallbackMs,
  });
  try {
    await pool.get();
  } catch (err) {
    await pool.close();
    throw err;
  }
  return serverDb(pool);
}
