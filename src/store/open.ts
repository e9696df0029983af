// Choose the driver from the configuration: a postgres:// URL means the server driver, else embedded.
import { openEmbedded } from './embedded.js';
import { migrate } from './migrate.js';
import type { Db } from './port.js';
import { openServer, parseDbUrl } from './server.js';

export async function openStore(opts: { dbUrl?: string; dataDir?: string }): Promise<Db> {
  const db = opts.dbUrl ? await openServer(parseDbUrl(opts.dbUrl)) : await openEmbedded(opts.dataDir);
  await migrate(db);
  return db;
}
