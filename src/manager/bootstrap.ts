// First-start seeding, safe to repeat on every start and from several managers at once: roles, the
// default tenant (id 0), the bootstrap admin (id 0), and this manager's row in `managers`.
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/port.js';
import { upsertManager } from '../store/repositories/managers.js';
import { ensureDefaultTenant } from '../store/repositories/tenants.js';
import {
  bootstrapAdminExists,
  createBootstrapAdmin,
  lockSeeding,
  seedRoles,
} from '../store/repositories/users.js';
import { hashPassword } from './auth/passwords.js';
import { SYSTEM_ROLES, TENANT_ROLES } from './auth/permissions.js';
import { type ManagerConfig, VERSION } from './config.js';

export interface BootstrapResult {
  /** Set only when the admin was created now: the password to print once. */
  adminPassword?: string;
  generated: boolean;
}

export async function bootstrap(db: Db, config: ManagerConfig): Promise<BootstrapResult> {
  const result = await db.transaction(async (tx): Promise<BootstrapResult> => {
    await lockSeeding(tx);
    await seedRoles(tx, SYSTEM_ROLES, 'system_role');
    await seedRoles(tx, TENANT_ROLES, 'tenant_role');
    await ensureDefaultTenant(tx);
    if (await bootstrapAdminExists(tx)) return { generated: false };
    const generated = !config.adminPassword;
    const password = config.adminPassword ?? randomBytes(12).toString('base64url');
    await createBootstrapAdmin(tx, await hashPassword(password));
    return { adminPassword: password, generated };
  });
  await registerManager(db, config);
  return result;
}

/** Every manager upserts its own row at start-up (rest-api.md §7.3). */
export async function registerManager(db: Db, config: ManagerConfig): Promise<void> {
  await upsertManager(db, {
    hostname: config.hostname,
    privateIp: config.privateIp,
    publicIp: config.publicIp,
    version: VERSION.version,
    edition: VERSION.edition,
    distribution: VERSION.distribution,
    distroRelease: VERSION.distro_release,
    networks: { default: config.privateIp },
  });
}
