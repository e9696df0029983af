// Choose the driver from the configuration: a postgres:// URL means the server driver, else embedded.
// Each driver is imported only when chosen: PGlite alone costs ~40 MB of memory once loaded.
import { migrate } from './migrate.js';
import type { Db } from './port.js';

export async function openStore(opts: { dbUrl?: string; dataDir?: string }): Promise<Db> {
  let db: Db;
  if (opts.dbUrl) {
    const { openServer, parseDbUrl } = await import('./server.js');
    db = await openServer(parseDbUrl(opts.dbUrl));
  } else {
    const { openEmbedded } = await import('./embedded.js');
    db = await openEmbedded(opts.dataDir);
  }
  await migrate(db);
  return db;
}
