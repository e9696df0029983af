// The connection pool that follows the leader. It holds one postgres.js pool on the host found to be
// the leader; a statement that meets a sign of a lost leader (leaderLost) retires that pool and starts
// a new search, and statements arriving meanwhile wait for its result: no restart, no reopen by the
// caller. Every session of a pool is checked to be on a primary when it opens (postgres.js
// target_session_attrs=primary reads in_hot_standby, reported by PostgreSQL ≥ 14 at no cost), so a
// pool never serves a statement from a replica, however it was found (decision in docs/decisions.md).
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
}

export interface Leader {
  host: HostPort;
  sql: Sql;
}

export interface LeaderPool {
  /** The pool on the current leader; when there is none, the result of the search (started if needed). */
  get(): Promise<Leader>;
  /** A statement on `l` met a lost leader: retire its pool and search again (once per pool). */
  lost(l: Leader): void;
  close(): Promise<void>;
}

export function createLeaderPool(o: LeaderPoolOptions): LeaderPool {
  const waitMs = o.leaderWaitMs ?? 30_000;
  const closing = new AbortController();
  const retired = new Set<Promise<void>>();
  let current: Leader | undefined;
  let search: Promise<Leader> | undefined;
  let opened = false;

  const open = (h: HostPort): Sql =>
    postgres({
      ...o.connection,
      host: h.host,
      port: h.port,
      ssl: o.tls && { ...o.tls, host: h.host },
      target_session_attrs: 'primary',
    } as postgres.Options<Record<string, never>>) as unknown as Sql;

  // In-flight statements on a retired pool may finish; its idle sessions close now.
  const retire = (sql: Sql) => {
    const p = sql.end({ timeout: 30 }).catch(() => {});
    retired.add(p);
    void p.finally(() => retired.delete(p));
  };

  const probe = async (h: HostPort): Promise<{ kind: 'leader'; value: Sql } | Answer> => {
    if (o.patroni) {
      const r = await patroniStatus(h.host, o.patroni);
      if (!('status' in r) || r.status !== 200) return patroniAnswer(r, o.patroni.port);
    }
    const sql = open(h);
    try {
      await sql`select 1`;
      return { kind: 'leader', value: sql };
    } catch (err) {
      retire(sql);
      return pgAnswer(err);
    }
  };

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
        return current;
      },
      (err: unknown) => {
        search = undefined;
        throw err;
      },
    );
    return search;
  };

  const lost = (l: Leader) => {
    if (current !== l) return;
    current = undefined;
    retire(l.sql);
    if (!closing.signal.aborted) get().catch(() => {}); // search now; statements will wait on it
  };

  const watch = o.patroni ? startWatch(o.patroni, o.watchMs ?? 3000, () => current, lost) : undefined;

  return {
    get,
    lost,
    async close() {
      closing.abort();
      clearInterval(watch);
      const l = current;
      current = undefined;
      await Promise.all([l?.sql.end({ timeout: 5 }), ...retired]);
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
