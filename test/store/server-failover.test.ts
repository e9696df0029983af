// The server driver against a local primary and its hot standby (no lab): it opens on the primary
// whatever the host order, follows a promotion through the same Db, never resends a statement that
// may have run, and says in one line why it cannot reach a database.
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
import { within } from '../../src/lab/within.js';
import { DbUnavailableError, neverSent, readOnly } from '../../src/store/db-errors.js';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { lapsedLeases } from '../../src/store/repositories/execution-leases.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { freePort } from '../helpers/postgres.js';
import { type ReplicaPair, startReplicaPair } from './replica-pair.js';

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('server driver: a primary and its standby', { timeout: 180_000 }, () => {
  let pair: ReplicaPair;
  let db: Db;
  before(async () => {
    pair = await startReplicaPair();
    const admin = await openServer(parseDbUrl(pair.url()));
    await admin.exec('CREATE DATABASE failover; ');
    await admin.close();
  });
  after(async () => {
    await db?.close();
    await pair?.down();
  });

  const serverPort = async () =>
    (await db.query<{ port: number }>('SELECT inet_server_port() AS port'))[0].port;

  test('opens on the primary although the standby is listed first', async () => {
    db = await openServer(parseDbUrl(pair.url('failover')));
    const [r] = await db.query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
    assert.equal(r.rec, false);
    assert.equal(await serverPort(), pair.primary.port);
    await db.exec('CREATE TABLE writes (id serial PRIMARY KEY, at timestamptz DEFAULT now())');
  });

  test('a statement killed while it ran fails and is not sent again; the next one runs', async () => {
    const slow = db.query('INSERT INTO writes (at) SELECT now() FROM pg_sleep(2)').then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    const killer = postgres(pair.url('failover').replace(/@.*,/, '@'), { max: 1, onnotice: () => {} });
    try {
      const running = () =>
        killer<
          { pid: number }[]
        >`SELECT pid FROM pg_stat_activity WHERE query LIKE 'INSERT INTO writes%' AND state = 'active'`;
      const [{ pid }] = await within(5000, running, (r) => r.length === 1, 'the INSERT running');
      await killer`SELECT pg_terminate_backend(${pid})`;
    } finally {
      await killer.end();
    }
    // The FATAL 57P01 is read, then the socket closes before ReadyForQuery: postgres.js reports the close.
    assert.match(String((await slow)?.code), /^(57P01|CONNECTION_CLOSED)$/);
    // Had it been sent again, the INSERT would have committed 2 s later: wait past that.
    await sleep(2500);
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM writes');
    assert.equal(n, 0, 'the killed INSERT was neither committed nor resent');
  });

  test('a read killed while it ran is sent again and answers (a client polling through a failover)', async () => {
    const read = db.query<{ n: number }>('SELECT count(*)::int AS n FROM writes, pg_sleep(2)');
    const killer = postgres(pair.url('failover').replace(/@.*,/, '@'), { max: 1, onnotice: () => {} });
    try {
      const running = () =>
        killer<
          { pid: number }[]
        >`SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT count(*)::int AS n FROM writes, pg_sleep%' AND state = 'active'`;
      const [{ pid }] = await within(5000, running, (r) => r.length === 1, 'the SELECT running');
      await killer`SELECT pg_terminate_backend(${pid})`;
    } finally {
      await killer.end();
    }
    assert.deepEqual([...(await read)], [{ n: 0 }]);
  });

  test('only plain reads count as read-only', () => {
    assert.equal(readOnly('SELECT * FROM executions WHERE id = $1'), true);
    assert.equal(readOnly('  select 1'), true);
    assert.equal(readOnly('SELECT * FROM executions WHERE id = $1 FOR UPDATE'), false);
    assert.equal(readOnly("SELECT nextval('s')"), false);
    assert.equal(readOnly('SELECT pg_advisory_lock(1)'), false);
    assert.equal(readOnly('INSERT INTO writes DEFAULT VALUES'), false);
    assert.equal(readOnly('WITH d AS (DELETE FROM writes RETURNING *) SELECT * FROM d'), false);
    assert.equal(readOnly('WITH page AS (SELECT id FROM writes LIMIT 10) SELECT * FROM page'), true);
    assert.equal(readOnly('WITH x AS (SELECT 1) UPDATE writes SET at = now()'), false);
  });

  test('postgres.js marks a query that never reached a server (what the resend rule relies on)', async () => {
    const closed = await freePort();
    const sql = postgres({ host: '127.0.0.1', port: closed, max: 1, connect_timeout: 2, onnotice: () => {} });
    const q = sql`SELECT 1`;
    await assert.rejects(q, (e: { code?: string }) => e.code === 'ECONNREFUSED');
    assert.equal(neverSent(q), true);
    await sql.end({ timeout: 0 });
    const live = postgres(pair.url('failover').replace(/@.*,/, '@'), { max: 1, onnotice: () => {} });
    const ok = live`SELECT 1`;
    await ok;
    assert.equal(neverSent(ok), false);
    await live.end();
  });

  test('the standby alone: the open waits for a leader, then says there is none', async () => {
    const t0 = Date.now();
    const err = await openServer({
      ...parseDbUrl(pair.url().replace(/,127\.0\.0\.1:\d+/, '')),
      leaderWaitMs: 1000,
    }).then(
      () => assert.fail('opened on a standby'),
      (e: unknown) => e as Error,
    );
    assert.ok(Date.now() - t0 >= 1000, 'waited for an election');
    assert.equal(
      err.message,
      `no PostgreSQL leader within 1 s at 127.0.0.1:${pair.standby.port}: a replica (hot standby); check that the DB cluster has a leader (cfy_manager dbs list on a DB node)`,
    );
  });

  test('no leader: reads are answered by the standby after 3 s, a write waits for the leader', async (t) => {
    await db.query('INSERT INTO writes DEFAULT VALUES');
    const [{ n: before }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM writes');
    pair.primary.stop();
    const t0 = Date.now();
    const [read] = await db.query<{ n: number; rec: boolean; port: number }>(
      'SELECT count(*)::int AS n, pg_is_in_recovery() AS rec, inet_server_port() AS port FROM writes',
    );
    const readMs = Date.now() - t0;
    assert.deepEqual({ ...read }, { n: before, rec: true, port: pair.standby.port }, 'the standby answered');
    assert.ok(readMs >= 2900 && readMs < 15_000, `the read waited ${readMs} ms for a leader first`);
    const t1 = Date.now();
    await db.query('SELECT 1 FROM writes LIMIT 1');
    assert.ok(Date.now() - t1 < 1000, 'the next read goes to the standby at once');
    let written = false;
    const write = db.query('INSERT INTO writes DEFAULT VALUES').then(() => {
      written = true;
    });
    await sleep(1000);
    assert.equal(written, false, 'a write never goes to the standby');
    pair.primary.start();
    await write;
    const [after] = await db.query<{ n: number; port: number }>(
      'SELECT count(*)::int AS n, inet_server_port() AS port FROM writes',
    );
    assert.deepEqual(
      { ...after },
      { n: before + 1, port: pair.primary.port },
      'reads are back on the leader',
    );
    t.diagnostic(`first read without a leader answered in ${readMs} ms; load ${load()}`);
  });

  test("no leader: the sweeper's look for lapsed leases waits for one (the standby does not answer it)", async () => {
    // Every lease lapses while nobody can write; a replica's answer would hand running executions over.
    await migrate(db);
    const standby = postgres(pair.url('failover').replace(/,[^/]*\//, '/'), { max: 1, onnotice: () => {} });
    try {
      const replayed = () => standby<{ ok: boolean }[]>`SELECT to_regclass('executions') IS NOT NULL AS ok`;
      await within(10_000, replayed, (r) => r[0]?.ok === true, 'the migrations replayed on the standby');
    } finally {
      await standby.end();
    }
    pair.primary.stop();
    let answered = false;
    const look = lapsedLeases(db).then(() => {
      answered = true;
    });
    await sleep(5000);
    assert.equal(answered, false, 'not answered without a leader, past the 3 s after which plain reads are');
    pair.primary.start();
    await look;
    assert.equal(answered, true);
  });

  test('primary stopped, standby promoted: writes resume on it through the same Db', async (t) => {
    await db.query('INSERT INTO writes DEFAULT VALUES');
    const t0 = Date.now();
    pair.primary.stop();
    const failed: string[] = [];
    const writer = (async () => {
      while (Date.now() - t0 < 30_000) {
        try {
          await db.query('INSERT INTO writes DEFAULT VALUES');
          if ((await serverPort()) === pair.standby.port) return Date.now() - t0;
        } catch (err) {
          failed.push((err as Error).message);
        }
      }
      return undefined;
    })();
    await sleep(1000); // the writer meets a stopped leader and searches meanwhile
    const promotedAt = Date.now() - t0;
    pair.standby.promote();
    const resumed = await writer;
    assert.ok(resumed !== undefined, `no write reached the promoted standby: ${failed.join(' | ')}`);
    const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    t.diagnostic(
      `local failover: promotion asked at ${sec(promotedAt)}, first write on it at ${sec(resumed)} after the stop; ${failed.length} statements failed (${failed.join(' | ') || 'none'}); load ${load()}`,
    );
    // A statement outside a transaction that met the stopped primary before reaching it was resent.
    assert.ok(failed.length <= 1, failed.join(' | '));
    assert.ok(
      resumed - promotedAt < 3000,
      `found the promoted standby ${resumed - promotedAt} ms after the promotion`,
    );
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM writes');
    assert.ok(n >= 2);
  });
});

describe('server driver: unreachable or refusing databases', () => {
  test('no server listening: one line naming the hosts, the port and the fix', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const t0 = Date.now();
    const err = await openServer({
      ...parseDbUrl(`postgres://u:p@127.0.0.1:${a},127.0.0.1:${b}/db`),
      leaderWaitMs: 800,
    }).then(
      () => assert.fail('opened'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DbUnavailableError);
    assert.equal(
      err.message,
      `could not reach PostgreSQL at 127.0.0.1:${a}, 127.0.0.1:${b}: connection refused; check postgresql_client and that the DB nodes are up`,
    );
    assert.ok(Date.now() - t0 < 3000);
  });

  test('Patroni asked but not answering: the hosts, the API port and the fix', async () => {
    const [pgPort, api] = [await freePort(), await freePort()];
    const err = await openServer({
      ...parseDbUrl(`postgres://u:p@127.0.0.1:${pgPort}/db`),
      patroniPort: api,
      patroniCa: new URL(import.meta.url).pathname, // any readable file: nothing answers anyway
      leaderWaitMs: 500,
    }).then(
      () => assert.fail('opened'),
      (e: unknown) => e as Error,
    );
    assert.match(
      err.message,
      new RegExp(
        `^could not reach PostgreSQL at 127\\.0\\.0\\.1:${pgPort}: Patroni REST API on port ${api}: connection refused; check postgresql_client`,
      ),
    );
  });
});

describe('server driver: a wrong password', { timeout: 60_000 }, () => {
  let pair: ReplicaPair;
  before(async () => {
    pair = await startReplicaPair();
  });
  after(() => pair?.down());

  test('is refused at once (no waiting for a leader), in one line with the fix', async () => {
    const t0 = Date.now();
    const err = await openServer({
      ...parseDbUrl(pair.url().replace(':stratus-test@', ':wrong@')),
      leaderWaitMs: 20_000,
    }).then(
      () => assert.fail('opened'),
      (e: unknown) => e as Error,
    );
    assert.ok(Date.now() - t0 < 5000, 'no wait for a leader');
    assert.match(
      err.message,
      /^PostgreSQL refused the connection at 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+: password authentication failed for user "postgres"; check the user, password and database of the database URL \(postgresql_client\)$/,
    );
  });
});
