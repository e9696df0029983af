// The connection pool that follows the leader. It holds one postgres.js pool on the host found to be
// the leader; a statement that meets a sign of a lost leader (leaderLost) retires that pool and starts
// a new search, and statements arriving meanwhile wait for its result: no restart, no reopen by the
// caller. Every session of a pool is checked to be on a primary when it opens (postgres.js
// target_session_attrs=primary reads in_hot_standby, reported by PostgreSQL ≥ 14 at no cost), so a
// pool never serves a statement from a replica, however it was found (decision in docs/decisions.md).
// The one exception is `read()`: while no leader is found for readFallbackMs, plain reads go to any
// member that takes a session (a replica, or a primary demoted to read-only when its cluster lost
// quorum), so what only reads (auth, GET lists, cluster-status) still answers during an election or an
// outage of the majority (decision 26).
import postgres from 'postgres';
import { type Answer, pgAnswer } from './db-errors.js';
import { findLeader, type HostPort } from './leader.js';
import { type PatroniAccess, patroniAnswer, patroniStatus } from './patroni.js';

export type Sql = postgres.Sql;

export interface LeaderPoolOptions {
  hosts: HostPort[];
  /** postgres.js options shared by every pool (credentials, TLS without the host name, sizes). */
  connection: Omit<postgres.Options<Record<string, never>>, 'host' | 'port'>;
  /** TLS options, completed with the host name of each pool for verify-full; false: no TLS. */
  tls: false | Record<string, unknown>;
  /** Ask Patroni's REST API who leads; without it the session check alone decides. */
  patroni?: PatroniAccess;
  /**
   * How long a statement waits for a leader, and the open when some host answers but none leads (the
   * open fails at once when no host answers at all). @default 30000
   */
  leaderWaitMs?: number;
  /** With Patroni: how often the current leader is asked whether it still leads. @default 3000 */
  watchMs?: number;
  /** How long a read waits for a leader before any member that takes a session answers it. @default 3000 */
  readFallbackMs?: number;
}

export interface Leader {
  host: HostPort;
  sql: Sql;
}

export interface LeaderPool {
  /** The pool on the current leader; when there is none, the result of the search (started if needed). */
  get(): Promise<Leader>;
  /**
   * For a plain read: the leader's pool; with none, after readFallbackMs, a pool on any member that takes
   * a session (kept until a leader is found), or the leader's search when no member answers.
   */
  read(): Promise<Leader>;
  /** A statement on `l` met a lost leader (or a lost reader): retire its pool and search again (once per pool). */
  lost(l: Leader): void;
  close(): Promise<void>;
}

/** How long the statements in flight on a lost leader may still take before their sessions are closed. */
export const LOST_LEADER_GRACE_S = 2;

export function createLeaderPool(o: LeaderPoolOptions): LeaderPool {
  const waitMs = o.leaderWaitMs ?? 30_000;
  const closing = new AbortController();
  const retired = new Set<Promise<void>>();
  let current: Leader | undefined;
  let search: Promise<Leader> | undefined;
  let opened = false;

  // In-flight statements on a retired pool may finish (for `graceS` seconds); its idle sessions close now.
  const retire = (sql: Sql, graceS = 30) => {
    const p = sql.end({ timeout: graceS }).catch(() => {});
    retired.add(p);
    void p.finally(() => retired.delete(p));
  };

  const probe = (h: HostPort) => probeLeader(o, h, retire);

  const get = (): Promise<Leader> => {
    if (current) return Promise.resolve(current);
    if (closing.signal.aborted) return Promise.reject(new Error('the database connection is closed'));
    search ??= findLeader(o.hosts, probe, {
      waitMs,
      dispose: retire,
      signal: closing.signal,
      failWhenNoneAnswers: !opened,
    }).then(
      (f) => {
        search = undefined;
        opened = true;
        current = { host: f.host, sql: f.value };
        readers.drop();
        return current;
      },
      (err: unknown) => {
        search = undefined;
        throw err;
      },
    );
    return search;
  };

  const readers = readerPool(
    o.hosts,
    (h) => openPool(o, h, 'any'),
    retire,
    () => !current && !closing.signal.aborted,
  );
  const read = async (): Promise<Leader> => {
    if (current) return current;
    const leader = get(); // starts a search, or joins the running one: its result drops the reader
    leader.catch(() => {}); // whoever awaits `leader` below sees its failure
    return (
      readers.now() ??
      (await settledWithin(leader, o.readFallbackMs ?? 3000)) ??
      (await readers.find()) ??
      leader
    );
  };

  const lost = (l: Leader) => {
    if (l === readers.now()) return readers.drop();
    if (current !== l) return;
    current = undefined;
    // A lost leader's statements in flight rarely end well (a dead or cut-off server never answers), and
    // whatever waits on them (one login check at a time per user) must not wait the usual 30 s.
    retire(l.sql, LOST_LEADER_GRACE_S);
    if (!closing.signal.aborted) get().catch(() => {}); // search now; statements will wait on it
  };

  const watch = o.patroni ? startWatch(o.patroni, o.watchMs ?? 3000, () => current, lost) : undefined;

  return {
    get,
    read,
    lost,
    async close() {
      closing.abort();
      clearInterval(watch);
      const l = current;
      current = undefined;
      readers.drop();
      await Promise.all([l?.sql.end({ timeout: 5 }), ...retired]);
    },
  };
}

/** Is `h` the leader? Patroni's word first when configured, then a primary session (kept if so). */
async function probeLeader(
  o: LeaderPoolOptions,
  h: HostPort,
  retire: (sql: Sql) => void,
): Promise<{ kind: 'leader'; value: Sql } | Answer> {
  if (o.patroni) {
    const r = await patroniStatus(h.host, o.patroni);
    if (!('status' in r) || r.status !== 200) return patroniAnswer(r, o.patroni.port);
  }
  const sql = openPool(o, h, 'primary');
  try {
    await sql`select 1`;
    return { kind: 'leader', value: sql };
  } catch (err) {
    retire(sql);
    return pgAnswer(err);
  }
}

/** A postgres.js pool on `h`; 'any' checks no session attribute (postgres.js has no 'any' value). */
function openPool(o: LeaderPoolOptions, h: HostPort, sessions: 'primary' | 'any'): Sql {
  return postgres({
    ...o.connection,
    host: h.host,
    port: h.port,
    ssl: o.tls && { ...o.tls, host: h.host },
    ...(sessions === 'primary' ? { target_session_attrs: 'primary' } : {}),
  } as postgres.Options<Record<string, never>>) as unknown as Sql;
}

/** What `p` resolves to if that happens within `ms`; else undefined (a later rejection is left to p's other waiters). */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => {
    timer = setTimeout(() => r(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The pool for plain reads while there is no leader: on the first member to take a session of any kind
 * (all asked at once, so a silent host costs nothing), kept until dropped (a leader found, or it failed).
 */
function readerPool(
  hosts: HostPort[],
  open: (h: HostPort) => Sql,
  retire: (sql: Sql) => void,
  wanted: () => boolean,
) {
  let reader: Leader | undefined;
  let search: Promise<Leader | undefined> | undefined;
  const find = async (): Promise<Leader | undefined> => {
    const tries = hosts.map(async (h): Promise<Leader> => {
      const sql = open(h);
      try {
        await sql`select 1`;
        return { host: h, sql };
      } catch (err) {
        retire(sql);
        throw err;
      }
    });
    const found = await Promise.any(tries).catch(() => undefined);
    for (const t of tries) t.then((l) => l !== found && retire(l.sql)).catch(() => {});
    if (found && !wanted()) retire(found.sql);
    else reader = found;
    return reader;
  };
  return {
    now: () => reader,
    find(): Promise<Leader | undefined> {
      if (reader) return Promise.resolve(reader);
      search ??= find().finally(() => {
        search = undefined;
      });
      return search;
    },
    drop(): void {
      if (reader) retire(reader.sql);
      reader = undefined;
    },
  };
}

/**
 * With Patroni, the leader is asked every `everyMs` whether it still leads. This catches what no
 * failing statement shows: a primary whose Patroni hangs keeps accepting sessions while its lock
 * expires and a replica is promoted (with synchronous_mode_strict its commits then wait forever).
 * Another status than 200 is Patroni's word and acts at once; no answer acts the second time in a row,
 * so one slow answer of a busy Patroni does not move the pool.
 */
function startWatch(
  access: PatroniAccess,
  everyMs: number,
  current: () => Leader | undefined,
  lost: (l: Leader) => void,
): NodeJS.Timeout {
  let busy = false;
  let silent: Leader | undefined;
  const t = setInterval(async () => {
    const l = current();
    if (!l || busy) return;
    busy = true;
    try {
      const r = await patroniStatus(l.host.host, access);
      if ('status' in r) {
        silent = undefined;
        if (r.status !== 200) lost(l);
      } else if (silent === l) lost(l);
      else silent = l;
    } finally {
      busy = false;
    }
  }, everyMs);
  t.unref();
  return t;
}
