// Embedded driver: PGlite (PostgreSQL compiled to WebAssembly) in this process, data in a directory.
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Db } from './port.js';

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

/** Open (or create) the embedded database in `dataDir`; `undefined` keeps it in memory. */
export async function openEmbedded(dataDir?: string): Promise<Db> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pg = await PGlite.create(dataDir);
  return wrap(pg, pg);
}
