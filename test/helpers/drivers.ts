// Runs a suite once per storage driver: embedded PGlite (in a temp data dir) and a throwaway
// PostgreSQL 15 server. Each `open()` gives a fresh, migrated, empty database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { openEmbedded } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface DriverFixture {
  name: 'embedded' | 'server';
  /** A fresh migrated database, closed at the end of the suite. */
  open(): Promise<Db>;
  /** Connection info to reopen the same database (the server URL, or the embedded data dir). */
  lastLocation(): { dbUrl?: string; dataDir?: string };
}

let dbCounter = 0;

export function forEachDriver(title: string, body: (fx: DriverFixture) => void): void {
  embeddedOnly(title, body);
  describe(`${title} [server]`, () => {
    let pg: TestPostgres;
    let lastUrl = '';
    const dbs: Db[] = [];
    before(async () => {
      pg = await startPostgres();
    });
    after(async () => {
      for (const db of dbs) await db.close().catch(() => {});
      await pg?.stop();
    });
    body({
      name: 'server',
      async open() {
        const admin = await openServer(parseDbUrl(pg.url));
        const name = `stratus_test_${process.pid}_${++dbCounter}`;
        await admin.exec(`CREATE DATABASE ${name}`);
        await admin.close();
        lastUrl = pg.url.replace(/\/postgres$/, `/${name}`);
        const db = await openServer(parseDbUrl(lastUrl));
        dbs.push(db);
        await migrate(db);
        return db;
      },
      lastLocation: () => ({ dbUrl: lastUrl }),
    });
  });
}

/** The suite on the embedded driver only (behaviour that does not depend on the store). */
export function embeddedOnly(title: string, body: (fx: DriverFixture) => void): void {
  describe(`${title} [embedded]`, () => {
    const dirs: string[] = [];
    const dbs: Db[] = [];
    after(async () => {
      for (const db of dbs) await db.close().catch(() => {});
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });
    body({
      name: 'embedded',
      async open() {
        const dir = mkdtempSync(join(tmpdir(), 'stratus-pglite-'));
        dirs.push(dir);
        const db = await openEmbedded(dir);
        dbs.push(db);
        await migrate(db);
        return db;
      },
      lastLocation: () => ({ dataDir: dirs[dirs.length - 1] }),
    });
  });
}
