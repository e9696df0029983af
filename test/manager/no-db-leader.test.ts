// A manager whose database has no leader (its primary stopped, the standby not promoted: an election, or
// a DB cluster that lost its majority) still answers what only reads: authentication, GET lists and
// GET /cluster-status come from the standby within a few seconds; a write waits for a leader.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { migrate } from '../../src/store/migrate.js';
import type { DriverFixture } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';
import { type ReplicaPair, startReplicaPair } from '../store/replica-pair.js';

const A = '/api/v3.1';

describe('a manager on a database without a leader', { timeout: 180_000 }, () => {
  let pair: ReplicaPair;
  let db: Db;
  let m: TestManager;
  before(async () => {
    pair = await startReplicaPair();
    const admin = await openServer(parseDbUrl(pair.url()));
    await admin.exec('CREATE DATABASE noleader');
    await admin.close();
    db = await openServer(parseDbUrl(pair.url('noleader')));
    await migrate(db);
    const fx: DriverFixture = { name: 'server', open: async () => db, lastLocation: () => ({}) };
    m = await startTestManager(fx, { hostname: 'mgr-1', privateIp: '127.0.0.1' });
    const r = await m.call({ method: 'PUT', url: `${A}/secrets/s1`, payload: { value: 'v' } });
    assert.equal(r.statusCode, 200, r.body);
  });
  after(async () => {
    await m?.close();
    await db?.close().catch(() => {});
    await pair?.down();
  });

  test('reads, auth and cluster-status answer from the standby; a write waits', async () => {
    pair.primary.stop();
    const timed = async (what: string, call: Parameters<TestManager['call']>[0]) => {
      const t0 = Date.now();
      const r = await m.call(call);
      const ms = Date.now() - t0;
      assert.ok(ms < 8000, `${what} answered in ${ms} ms`);
      return r;
    };
    // a first login of this password (not in the Basic cache): its bookkeeping write cannot wait
    const fresh = basic('admin', 'admin-test-pw');
    const status = await timed('cluster-status', { method: 'GET', url: `${A}/cluster-status`, as: fresh });
    assert.equal(status.statusCode, 200, status.body);
    assert.ok(['OK', 'Degraded', 'Fail'].includes(status.json().status), status.body);
    const list = await timed('secrets list', { method: 'GET', url: `${A}/secrets` });
    assert.equal(list.statusCode, 200, list.body);
    assert.deepEqual(
      list.json().items.map((s: { key: string }) => s.key),
      ['s1'],
    );
    const wrong = await timed('a wrong password', {
      method: 'GET',
      url: `${A}/secrets`,
      as: basic('admin', 'wrong'),
    });
    assert.equal(wrong.statusCode, 401, wrong.body);
    let written = false;
    const write = m.call({ method: 'PUT', url: `${A}/secrets/s2`, payload: { value: 'v' } }).then((r) => {
      written = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(written, false, 'a write waits for the leader');
    pair.primary.start();
    assert.equal((await write).statusCode, 200);
  });
});
