// Tenants and their members (users_tenants with the tenant role).
import type { Db } from '../port.js';

export async function findTenant(db: Db, name: string): Promise<{ id: number; name: string } | undefined> {
  const [row] = await db.query<{ id: number; name: string }>('SELECT id, name FROM tenants WHERE name = $1', [
    name,
  ]);
  return row;
}

/** A tenant's members with their tenant role, by username. */
export function tenantMembers(db: Db, tenantId: number): Promise<{ username: string; role: string }[]> {
  return db.query(
    `SELECT u.username, r.name AS role FROM users_tenants ut JOIN users u ON u.id = ut.user_id
     JOIN roles r ON r.id = ut.role_id WHERE ut.tenant_id = $1 ORDER BY u.username`,
    [tenantId],
  );
}

/** Every tenant's name, or only those `memberId` belongs to; oldest tenant first. */
export async function tenantNames(db: Db, memberId?: number): Promise<string[]> {
  const rows =
    memberId === undefined
      ? await db.query<{ name: string }>('SELECT name FROM tenants ORDER BY id')
      : await db.query<{ name: string }>(
          'SELECT t.name FROM tenants t JOIN users_tenants ut ON ut.tenant_id = t.id WHERE ut.user_id = $1 ORDER BY t.id',
          [memberId],
        );
  return rows.map((r) => r.name);
}

/** Creates a tenant with its RabbitMQ vhost and user names; false (nothing created) when the name is taken. */
export function createTenant(db: Db, name: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM tenants WHERE name = $1', [name]);
    if (exists.length) return false;
    await tx.query('INSERT INTO tenants (name, rabbitmq_vhost, rabbitmq_username) VALUES ($1, $2, $3)', [
      name,
      `rabbitmq_vhost_${name}`,
      `rabbitmq_user_${name}`,
    ]);
    return true;
  });
}

/**
 * Deletes a tenant (and, through the foreign keys, its memberships) unless it still holds blueprints
 * or secrets: then nothing is deleted and the answer is false. The tenant row is locked first, so a
 * resource being created in it concurrently is either seen by the check or fails its foreign key.
 */
export function deleteEmptyTenant(db: Db, tenantId: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    const used = await tx.query(
      'SELECT 1 FROM blueprints WHERE _tenant_id = $1 UNION ALL SELECT 1 FROM secrets WHERE _tenant_id = $1 LIMIT 1',
      [tenantId],
    );
    if (used.length) return false;
    await tx.query('DELETE FROM tenants WHERE id = $1', [tenantId]);
    return true;
  });
}

/** Adds a user to a tenant with a role, or changes their role there. */
export async function setMembership(db: Db, userId: number, tenantId: number, roleId: number): Promise<void> {
  await db.query(
    `INSERT INTO users_tenants (user_id, tenant_id, role_id) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, tenant_id) DO UPDATE SET role_id = excluded.role_id`,
    [userId, tenantId, roleId],
  );
}

export async function removeMembership(db: Db, userId: number, tenantId: number): Promise<void> {
  await db.query('DELETE FROM users_tenants WHERE user_id = $1 AND tenant_id = $2', [userId, tenantId]);
}

/** The tenant named `name` and `userId`'s role in it (null when not a member), for authentication. */
export async function tenantWithRole(
  db: Db,
  name: string,
  userId: number,
): Promise<{ id: number; name: string; role: string | null } | undefined> {
  const [row] = await db.query<{ id: number; name: string; role: string | null }>(
    `SELECT t.id, t.name, (SELECT r.name FROM users_tenants ut JOIN roles r ON r.id = ut.role_id
       WHERE ut.tenant_id = t.id AND ut.user_id = $2) AS role
     FROM tenants t WHERE t.name = $1`,
    [name, userId],
  );
  return row;
}

/** The default tenant (id 0), created at first start (inside the seeding transaction). */
export async function ensureDefaultTenant(tx: Db): Promise<void> {
  await tx.query(
    "INSERT INTO tenants (id, name, rabbitmq_vhost, rabbitmq_username) VALUES (0, 'default_tenant', '/', 'cloudify') ON CONFLICT DO NOTHING",
  );
}
