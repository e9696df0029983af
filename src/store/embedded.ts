// Embedded driver: PGlite (PostgreSQL compiled to WebAssembly) in this process, data in a directory.
// A new data directory starts as a copy of the template the build makes (an initdb'd, migrated database,
// `dist/pglite-template`): PGlite's initdb costs ~5 s of CPU, the copy and open about 1 s.
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { migrate } from './migrate.js';
import type { Db } from './port.js';

/** Where the build leaves the template: the same path from src/store and from dist/store. */
export const PGLITE_TEMPLATE = fileURLToPath(new URL('../../dist/pglite-template', import.meta.url));

type Queryable = PGlite | Transaction;

function wrap(q: Queryable, pg: PGlite): Db {
  return {
    driver: 'embedded',
    async query<T>(sql: string, params: unknown[] = []) {
      const r = await q.query<T>(sql, params);
      return r.rows;
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      // PGlite has one connection: a nested call reuses the open transaction.
      if (q !== pg) return fn(wrap(q, pg));
      return pg.transaction((tx) => fn(wrap(tx, pg)));
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
    async close() {
      if (q === pg) await pg.close();
    },
  };
}

/**
 * Open (or create) the embedded database in `dataDir`; `undefined` keeps it in memory. A directory that
 * is missing or empty starts as a copy of `template` when there is one (the caller still migrates: a
 * template older than the code is completed).
 */
export async function openEmbedded(dataDir?: string, template = PGLITE_TEMPLATE): Promise<Db> {
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    if (readdirSync(dataDir).length === 0 && existsSync(`${template}/PG_VERSION`)) {
      cpSync(template, dataDir, { recursive: true });
    }
  }
  const pg = await PGlite.create(dataDir);
  return wrap(pg, pg);
}

/** Makes the template at `dir` (replacing one there): a new migrated database, written aside then moved. */
export async function makeTemplate(dir: string): Promise<void> {
  const aside = `${dir}.${process.pid}`;
  rmSync(aside, { recursive: true, force: true });
  const db = await openEmbedded(aside, '');
  await migrate(db);
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  renameSync(aside, dir);
}
