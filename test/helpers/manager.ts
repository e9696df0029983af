// A manager built in-process for API tests (app.inject, no socket), on either storage driver.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { defaultConfig, type ManagerConfig } from '../../src/manager/config.js';
import type { ExecutionDispatcher } from '../../src/executions/lifecycle.js';
import { createManager, type Manager } from '../../src/entry/manager.js';
import type { DriverFixture } from './drivers.js';

export const ADMIN_PASSWORD = 'admin-test-pw';
export const adminAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

export interface TestManager extends Manager {
  dataDir: string;
  /** inject() as admin in default_tenant, unless headers say otherwise. */
  call(opts: InjectOptions & { as?: string | null; tenant?: string | null }): Promise<LightMyRequestResponse>;
}

export async function startTestManager(
  fx: DriverFixture,
  overrides: Partial<ManagerConfig> = {},
  /** Executions go to this dispatcher (null: nowhere) instead of an in-process worker. */
  dispatcher?: ExecutionDispatcher | null,
): Promise<TestManager> {
  const db = await fx.open();
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-mgr-'));
  const config = defaultConfig({ dataDir, adminPassword: ADMIN_PASSWORD, ...overrides });
  const m = await createManager(config, { db, dispatcher });
  return {
    ...m,
    dataDir,
    async close() {
      await m.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    call({ as, tenant, headers, ...rest }) {
      const h: Record<string, string> = { ...(headers as Record<string, string>) };
      if (as !== null) h.authorization = as ?? adminAuth;
      if (tenant !== null) h.tenant = tenant ?? 'default_tenant';
      return m.app.inject({ ...rest, headers: h });
    },
  };
}

export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
