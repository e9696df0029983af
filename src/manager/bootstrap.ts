// First-start seeding, safe to repeat on every start and from several managers at once: roles, the
// default tenant (id 0), the bootstrap admin (id 0), and this manager's row in `managers`.
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/port.js';
import { hashPassword } from './auth/passwords.js';
import { SYSTEM_ROLES, TENANT_ROLES } from './auth/permissions.js';
import { type ManagerConfig, VERSION } from './config.js';

export interface BootstrapResult {
  /** Set only when the admin was created now: the password to print once. */
  adminPassword?: string;
  generated: boolean;
}

export async function bootstrap(db: Db, config: ManagerConfig): Promise<BootstrapResult> {
  const result = await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727002)');
    for (const r of SYSTEM_ROLES) {
      await tx.query(
        "INSERT INTO roles (name, type) VALUES ($1, 'system_role') ON CONFLICT (name) DO NOTHING",
        [r],
      );
    }
    for (const r of TENANT_ROLES) {
      await tx.query(
        "INSERT INTO roles (name, type) VALUES ($1, 'tenant_role') ON CONFLICT (name) DO NOTHING",
        [r],
      );
    }
    await tx.query(
      "INSERT INTO tenants (id, name, rabbitmq_vhost, rabbitmq_username) VALUES (0, 'default_tenant', '/', 'cloudify') ON CONFLICT DO NOTHING",
    );
    const admin = await tx.query('SELECT 1 FROM users WHERE id = 0');
    if (admin.length > 0) return { generated: false } as BootstrapResult;
    const generated = !config.adminPassword;
    const password = config.adminPassword ?? randomBytes(12).toString('base64url');
    await tx.query("INSERT INTO users (id, username, password) VALUES (0, 'admin', $1)", [
      await hashPassword(password),
    ]);
    await tx.query(
      "INSERT INTO users_roles (user_id, role_id) SELECT 0, id FROM roles WHERE name = 'sys_admin'",
    );
    await tx.query(
      "INSERT INTO users_tenants (user_id, tenant_id, role_id) SELECT 0, 0, id FROM roles WHERE name = 'user'",
    );
    return { adminPassword: password, generated };
  });
  await registerManager(db, config);
  return result;
}

/** Every manager upserts its own row at start-up (rest-api.md §7.3). */
export async function registerManager(db: Db, config: ManagerConfig): Promise<void> {
  await db.query(
    `INSERT INTO managers (hostname, private_ip, public_ip, version, edition, distribution, distro_release, networks, last_seen)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, now())
     ON CONFLICT (hostname) DO UPDATE SET private_ip = excluded.private_ip, public_ip = excluded.public_ip,
       version = excluded.version, networks = excluded.networks, last_seen = now()`,
    [
      config.hostname,
      config.privateIp,
      config.publicIp,
      VERSION.version,
      VERSION.edition,
      VERSION.distribution,
      VERSION.distro_release,
      JSON.stringify({ default: config.privateIp }),
    ],
  );
}
