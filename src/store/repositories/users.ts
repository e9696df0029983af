// Users with their system role (users_roles) and tenant roles (users_tenants), the roles themselves,
// the credential lookups of the authentication chain, and the bootstrap admin. Password hashes are made
// and checked by the manager (manager/auth/passwords.ts): here they are only stored and returned.
import type { Db } from '../port.js';
import { sqlArray, ts } from './common.js';

/** The system role of user `u` (an alias of `users`), or NULL. */
const systemRole = (u: string) =>
  `(SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ${u}.id LIMIT 1)`;

export type RoleType = 'system_role' | 'tenant_role';

/** A user as the API shows it. */
export interface UserRecord {
  id: number;
  username: string;
  active: boolean;
  show_getting_started: boolean;
  failed_logins_counter: number;
  last_failed_login_at: Date | null;
  created_at: string;
  first_login_at: string | null;
  last_login_at: string | null;
  /** The system role, `default` when none is set. */
  role: string;
}

export async function findUser(db: Db, username: string): Promise<UserRecord | undefined> {
  const [row] = await db.query<UserRecord>(
    `SELECT u.id, u.username, u.active, u.show_getting_started, u.failed_logins_counter, u.last_failed_login_at,
       ${ts('u.created_at')} AS created_at, ${ts('u.first_login_at')} AS first_login_at,
       ${ts('u.last_login_at')} AS last_login_at, coalesce(${systemRole('u')}, 'default') AS role
     FROM users u WHERE u.username = $1`,
    [username],
  );
  return row;
}

/** The tenants a user belongs to with their role in each, by tenant name. */
export function userTenantRoles(db: Db, userId: number): Promise<{ name: string; role: string }[]> {
  return db.query(
    `SELECT t.name, r.name AS role FROM users_tenants ut JOIN tenants t ON t.id = ut.tenant_id
     JOIN roles r ON r.id = ut.role_id WHERE ut.user_id = $1 ORDER BY t.name`,
    [userId],
  );
}

/** Every username, oldest user first. */
export async function usernames(db: Db): Promise<string[]> {
  const rows = await db.query<{ username: string }>('SELECT username FROM users ORDER BY id');
  return rows.map((r) => r.username);
}

export async function findUserId(db: Db, username: string): Promise<number | undefined> {
  const [row] = await db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [username]);
  return row?.id;
}

export async function findRoleId(db: Db, name: string, type: RoleType): Promise<number | undefined> {
  const [row] = await db.query<{ id: number }>('SELECT id FROM roles WHERE name = $1 AND type = $2', [
    name,
    type,
  ]);
  return row?.id;
}

/** Creates a user with its system role, in one transaction; false (nothing created) when the name is taken. */
export function createUser(
  db: Db,
  user: { username: string; passwordHash: string; systemRoleId: number },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM users WHERE username = $1', [user.username]);
    if (exists.length) return false;
    const [u] = await tx.query<{ id: number }>(
      'INSERT INTO users (username, password) VALUES ($1, $2) RETURNING id',
      [user.username, user.passwordHash],
    );
    await tx.query('INSERT INTO users_roles (user_id, role_id) VALUES ($1, $2)', [u.id, user.systemRoleId]);
    return true;
  });
}

export interface UserChanges {
  passwordHash?: string;
  showGettingStarted?: boolean;
  systemRoleId?: number;
}

/** Applies the given changes to a user, all or none. */
export function updateUser(db: Db, username: string, changes: UserChanges): Promise<void> {
  return db.transaction(async (tx) => {
    if (changes.passwordHash !== undefined) {
      await tx.query('UPDATE users SET password = $2 WHERE username = $1', [username, changes.passwordHash]);
    }
    if (changes.showGettingStarted !== undefined) {
      await tx.query('UPDATE users SET show_getting_started = $2 WHERE username = $1', [
        username,
        changes.showGettingStarted,
      ]);
    }
    if (changes.systemRoleId !== undefined) {
      await tx.query(
        'UPDATE users_roles SET role_id = $2 WHERE user_id = (SELECT id FROM users WHERE username = $1)',
        [username, changes.systemRoleId],
      );
    }
  });
}

/** Clears the failed-login counter, which unlocks the account. */
export async function unlockUser(db: Db, username: string): Promise<void> {
  await db.query('UPDATE users SET failed_logins_counter = 0 WHERE username = $1', [username]);
}

export async function setUserActive(db: Db, username: string, active: boolean): Promise<void> {
  await db.query('UPDATE users SET active = $2 WHERE username = $1', [username, active]);
}

// ---- the authentication chain (manager/auth/authenticate.ts) ----

/** What authentication checks: the stored password hash and the active flag. */
export interface CredentialRow {
  id: number;
  username: string;
  password: string;
  active: boolean;
  system_role: string | null;
}

const CREDENTIALS = `u.id, u.username, u.password, u.active, ${systemRole('u')} AS system_role`;

export async function credentialsByUsername(db: Db, username: string): Promise<CredentialRow | undefined> {
  const [row] = await db.query<CredentialRow>(`SELECT ${CREDENTIALS} FROM users u WHERE u.username = $1`, [
    username,
  ]);
  return row;
}

/** The creator of the execution holding this token hash, while the execution is in one of `statuses`. */
export async function credentialsByExecutionToken(
  db: Db,
  tokenHash: string,
  statuses: readonly string[],
): Promise<(CredentialRow & { exec_storage_id: number; exec_id: string }) | undefined> {
  const [row] = await db.query<CredentialRow & { exec_storage_id: number; exec_id: string }>(
    `SELECT ${CREDENTIALS}, e._storage_id AS exec_storage_id, e.id AS exec_id FROM users u
     JOIN executions e ON e._creator_id = u.id
     WHERE e.token = $1 AND e.status = ANY($2::text[])`,
    [tokenHash, sqlArray(statuses)],
  );
  return row;
}

/** The owner of API token `tokenId`, with the token's secret hash and expiry. */
export async function credentialsByApiToken(
  db: Db,
  tokenId: string,
): Promise<(CredentialRow & { secret_hash: string; expiration_date: Date | null }) | undefined> {
  const [row] = await db.query<CredentialRow & { secret_hash: string; expiration_date: Date | null }>(
    `SELECT ${CREDENTIALS}, t.secret_hash, t.expiration_date FROM users u
     JOIN tokens t ON t._user_fk = u.id WHERE t.id = $1`,
    [tokenId],
  );
  return row;
}

export async function recordFailedLogin(db: Db, userId: number): Promise<void> {
  await db.query(
    'UPDATE users SET failed_logins_counter = failed_logins_counter + 1, last_failed_login_at = now() WHERE id = $1',
    [userId],
  );
}

export async function recordLogin(db: Db, userId: number): Promise<void> {
  await db.query(
    'UPDATE users SET failed_logins_counter = 0, first_login_at = coalesce(first_login_at, now()), last_login_at = now() WHERE id = $1',
    [userId],
  );
}

// ---- first-start seeding (manager/bootstrap.ts), inside its transaction ----

/** Serialises the seeding of several managers starting at once. */
export async function lockSeeding(tx: Db): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(727002)');
}

export async function seedRoles(tx: Db, names: readonly string[], type: RoleType): Promise<void> {
  for (const r of names) {
    await tx.query('INSERT INTO roles (name, type) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [r, type]);
  }
}

export async function bootstrapAdminExists(tx: Db): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM users WHERE id = 0')).length > 0;
}

/** The bootstrap admin (id 0): sys_admin, and `user` in the default tenant (id 0). */
export async function createBootstrapAdmin(tx: Db, passwordHash: string): Promise<void> {
  await tx.query("INSERT INTO users (id, username, password) VALUES (0, 'admin', $1)", [passwordHash]);
  await tx.query(
    "INSERT INTO users_roles (user_id, role_id) SELECT 0, id FROM roles WHERE name = 'sys_admin'",
  );
  await tx.query(
    "INSERT INTO users_tenants (user_id, tenant_id, role_id) SELECT 0, 0, id FROM roles WHERE name = 'user'",
  );
}
