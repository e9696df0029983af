// Several managers (or a REST service and a worker) starting at once on an empty PostgreSQL database:
// every one migrates, none fails, and each migration is applied exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listMigrations, migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';

describe('migrations started at once on an empty database', () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
  });

  test('four processes migrating together: none fails, each migration applied once', async () => {
    const all = listMigrations().map((m) => m.name);
    for (let round = 0; round < 5; round++) {
      const admin = await openServer(parseDbUrl(pg.url));
      await admin.exec(`CREATE DATABASE together_${round}`);
      await admin.close();
      const url = pg.url.replace(/\/[^/?]*(\?|$)/, `/together_${round}$1`);
      const dbs: Db[] = await Promise.all([1, 2, 3, 4].map(() => openServer(parseDbUrl(url))));
      try {
        const results = await Promise.allSettled(dbs.map((db) => migrate(db)));
        const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        assert.deepEqual(failed, [], `round ${round}: no migrate() failed`);
        const applied = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
        assert.deepEqual(
          applied.sort(),
          [...all].sort(),
          `round ${round}: each applied once, by one of them`,
        );
      } finally {
        for (const db of dbs) await db.close();
      }
    }
  });
});
