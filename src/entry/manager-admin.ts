// The running cluster's side of `cfy_manager add-networks` and `reset-admin-password` (cfy_manager.md
// §6.6, §1.3), as `cfy_manager manager-db` actions: the request comes on stdin, never in argv.
import { hashPassword } from '../manager/auth/passwords.js';
import { open, type RegisterRequest, Refusal } from './manager-db-shared.js';

const cloudifyUser = (r: RegisterRequest) => `${r.dbUser} (postgresql_client.cloudify_password)`;

/** Merges new networks into this manager's row; a name it already has is refused. */
export async function addNetworks(r: RegisterRequest): Promise<{ networks: Record<string, string> }> {
  const db = await open(r.dbUrl, cloudifyUser(r));
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<{ networks: Record<string, string> }>(
        'SELECT networks FROM managers WHERE hostname = $1 FOR UPDATE',
        [r.hostname],
      );
      if (rows.length === 0) {
        throw new Refusal(
          `This manager (${r.hostname}) is not registered in the database: run cfy_manager install first`,
        );
      }
      const current = rows[0]!.networks ?? {};
      const taken = Object.keys(r.newNetworks ?? {}).filter((n) => n in current);
      if (taken.length > 0) {
        throw new Refusal(
          `Network name ${taken.join(', ')} already exists. Choose a different name or remove it first.`,
        );
      }
      const networks = { ...current, ...r.newNetworks };
      await tx.query('UPDATE managers SET networks = $1::text::jsonb WHERE hostname = $2', [
        JSON.stringify(networks),
        r.hostname,
      ]);
      return { networks };
    });
  } finally {
    await db.close();
  }
}

/** The admin's new password; its failed-login counter is cleared and the account made active. */
export async function resetAdminPassword(r: RegisterRequest): Promise<{ username: string }> {
  if (!r.newPassword) throw new Refusal('The new admin password is empty');
  const db = await open(r.dbUrl, cloudifyUser(r));
  try {
    const rows = await db.query<{ username: string }>(
      `UPDATE users SET password = $1, failed_logins_counter = 0, active = true WHERE id = 0
       RETURNING username`,
      [await hashPassword(r.newPassword)],
    );
    if (rows.length === 0)
      throw new Refusal('There is no admin user in the database: run cfy_manager install');
    return { username: rows[0]!.username };
  } finally {
    await db.close();
  }
}
