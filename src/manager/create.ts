// Assemble a manager from its config: open and migrate the store, seed it, and build the REST app.
// The process concerns (listening, signals, the finish message) live in server.ts.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { openStore } from '../store/open.js';
import type { Db } from '../store/port.js';
import { buildApp } from './app.js';
import { Authenticator } from './auth/authenticate.js';
import { type BootstrapResult, bootstrap } from './bootstrap.js';
import type { ManagerConfig } from './config.js';
import type { ManagerContext } from './context.js';
import { createCipher, loadOrCreateKeyFile, parseKey } from './secrets-crypto.js';

export interface Manager {
  app: FastifyInstance;
  ctx: ManagerContext;
  db: Db;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

export async function createManager(
  config: ManagerConfig,
  opts: { logger?: Logger | false; db?: Db; extend?: (ctx: ManagerContext) => void } = {},
): Promise<Manager> {
  const db =
    opts.db ??
    (await openStore({
      dbUrl: config.dbUrl,
      dataDir: config.dbUrl ? undefined : join(config.dataDir, 'db'),
    }));
  const boot = await bootstrap(db, config);
  const key = config.secretsKey
    ? parseKey(config.secretsKey)
    : loadOrCreateKeyFile(join(config.dataDir, 'secrets.key'));
  const ctx: ManagerContext = {
    db,
    config,
    authenticator: new Authenticator(db, config),
    resourcesDir: join(config.dataDir, 'resources'),
    secrets: createCipher(key),
    serviceProbes: [],
  };
  opts.extend?.(ctx);
  const app = await buildApp(ctx, opts.logger ?? false);
  return {
    app,
    ctx,
    db,
    bootstrap: boot,
    async close() {
      await app.close();
      if (!opts.db) await db.close();
    },
  };
}
