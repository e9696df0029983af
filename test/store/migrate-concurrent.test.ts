// Several managers (or a REST service and a worker) starting at once on an empty PostgreSQL database:
// five processes migrate together, none fails, and each migration is applied exactly once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { listMigrations } from '../../src/store/migrate.js';
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

  test('five processes migrating together: none fails, each migration applied once', async () => {
    const all = listMigrations().map((m) => m.name);
    for (let round = 0; round < 2; round++) {
      const admin = await openServer(parseDbUrl(pg.url));
      await admin.exec(`CREATE DATABASE together_${round}`);
      await admin.close();
      const url = pg.url.replace(/\/[^/?]*(\?|$)/, `/together_${round}$1`);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => migrateInChild(url)));
      const failed = results.flatMap((r) => (r.code === 0 ? [] : [r.stderr]));
      assert.deepEqual(failed, [], `round ${round}: no process failed`);
      const applied = results.flatMap((r) => JSON.parse(r.stdout) as string[]);
      assert.deepEqual(applied.sort(), [...all].sort(), `round ${round}: each applied once, by one of them`);
    }
  });
});

/** A node process that opens the database and migrates it; stdout: the names it applied (JSON). */
function migrateInChild(url: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const here = (f: string) => new URL(f, import.meta.url).href;
  const script = [
    `const { migrate } = await import(${JSON.stringify(here('../../src/store/migrate.ts'))});`,
    `const { openServer, parseDbUrl } = await import(${JSON.stringify(here('../../src/store/server.ts'))});`,
    'const db = await openServer(parseDbUrl(process.env.DB_URL));',
    'try { process.stdout.write(JSON.stringify(await migrate(db))); } finally { await db.close(); }',
  ].join('\n');
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { env: { ...process.env, DB_URL: url } },
      (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
