// The worker's store retry (src/worker/store-retry.ts) against a real PostgreSQL: a write in flight
// when the server restarts fails on the plain driver and goes through with the retry; a store that
// stays down longer than the window gives StoreUnavailableError, which the worker takes as "leave the
// execution resumable".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { leaveResumable, retryingDb, StoreUnavailableError } from '../../src/worker/store-retry.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('worker store retry [server]', () => {
  let pg: TestPostgres;
  let db: Db;
  before(async () => {
    pg = await startPostgres();
    db = await openServer(parseDbUrl(pg.url));
    await db.exec('CREATE TABLE t (n int)');
  });
  after(async () => {
    await db?.close().catch(() => {});
    await pg?.stop();
  });

  const slowInsert = (d: Db, n: number) => d.query('INSERT INTO t SELECT $1 FROM pg_sleep(1)', [n]);
  const count = async (n: number) =>
    Number((await db.query<{ c: number }>('SELECT count(*)::int AS c FROM t WHERE n = $1', [n]))[0].c);

  it('a write in flight during a restart fails without the retry and is done once with it', async () => {
    const plain = slowInsert(db, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    const retried = slowInsert(retryingDb(db, { windowMs: 30_000 }), 2);
    await new Promise((r) => setTimeout(r, 300));
    await pg.restart();
    const err = (await plain) as { code?: string } | undefined;
    assert.ok(err, 'the plain write fails');
    assert.match(String(err.code), /^(57P01|CONNECTION_CLOSED|CONNECTION_ENDED|ECONNRESET)$/);
    await retried;
    assert.equal(await count(1), 0);
    assert.equal(await count(2), 1);
  });

  it('a transaction in flight during a restart is run again from its start', async () => {
    let runs = 0;
    const tx = retryingDb(db, { windowMs: 30_000 }).transaction(async (t) => {
      runs++;
      await t.query('INSERT INTO t VALUES (3)');
      await t.query('SELECT pg_sleep(1)');
      await t.query('INSERT INTO t VALUES (3)');
    });
    await new Promise((r) => setTimeout(r, 300));
    await pg.restart();
    await tx;
    assert.equal(runs, 2);
    assert.equal(await count(3), 2);
  });

  it('a store down longer than the window: StoreUnavailableError, which leaves the execution resumable', async () => {
    const retries: number[] = [];
    // (the driver itself waits leaderWaitMs for a server before it fails a statement)
    const quick = await openServer({ ...parseDbUrl(pg.url), leaderWaitMs: 300 });
    const short = retryingDb(quick, { windowMs: 1500, onRetry: (_e, attempt) => retries.push(attempt) });
    const t0 = Date.now();
    const down = pg.restart(4000);
    await new Promise((r) => setTimeout(r, 200));
    const err = await short.query('INSERT INTO t VALUES (4)').then(
      () => undefined,
      (e: unknown) => e,
    );
    await down;
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.ok(leaveResumable(err));
    assert.ok(retries.length >= 2, `retried ${retries.length} times`);
    assert.ok(Date.now() - t0 < 4000 + 3000);
    // and once it is back, the same Db works
    await short.query('INSERT INTO t VALUES (5)');
    assert.equal(await count(5), 1);
    await quick.close();
  });
});
