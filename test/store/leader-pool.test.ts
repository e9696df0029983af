// The leader pool against a real PostgreSQL: once its leader is lost, what was in flight there ends within
// a couple of seconds (a cut-off leader never answers, and a login check one at a time per user waited on
// such a statement for the old 30 s), and the next statement goes to the leader found again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLeaderPool, LOST_LEADER_GRACE_S, type LeaderPool } from '../../src/store/leader-pool.js';
import { parseDbUrl } from '../../src/store/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('leader pool [server]', () => {
  let pg: TestPostgres;
  let pool: LeaderPool;
  before(async () => {
    pg = await startPostgres();
    const o = parseDbUrl(pg.url);
    pool = createLeaderPool({
      hosts: o.hosts,
      connection: { user: o.user, password: o.password, database: o.database, max: 4, onnotice: () => {} },
      tls: false,
    });
  });
  after(async () => {
    await pool?.close().catch(() => {});
    await pg?.stop();
  });

  test("a lost leader's statement in flight ends within the grace, not the 30 s of a retired pool", async () => {
    const leader = await pool.get();
    const t0 = Date.now();
    const inFlight = leader.sql`SELECT pg_sleep(20)`.then(
      () => 'finished',
      () => 'ended',
    );
    await new Promise((r) => setTimeout(r, 300));
    pool.lost(leader);
    assert.equal(await inFlight, 'ended');
    const ms = Date.now() - t0;
    assert.ok(ms < (LOST_LEADER_GRACE_S + 3) * 1000, `ended after ${ms} ms`);
    const next = await pool.get();
    assert.notEqual(next, leader);
    assert.deepEqual([...(await next.sql`SELECT 1 AS one`)], [{ one: 1 }]);
  });
});
