// The running cluster's side of `cfy_manager add-networks` and `reset-admin-password` (cfy_manager.md
// §6.6, §1.3), as `cfy_manager manager-db` actions: the request comes on stdin, never in argv.
import { hashPassword } from '../manager/auth/passwords.js';
import { addManagerNetworks, setAdminPasswordHash } from '../store/repositories/cluster-setup.js';
import { open, type RegisterRequest, Refusal } from './manager-db-shared.js';

const cloudifyUser = (r: RegisterRequest) => `${r.dbUser} (postgresql_client.cloudify_password)`;

/** Merges new networks into this manager's row; a name it already has is refused. */
export async function addNetworks(r: RegisterRequest): Promise<{ networks: Record<string, string> }> {
  const db = await open(r.dbUrl, cloudifyUser(r));
  try {
    const out = await addManagerNetworks(db, r.hostname, r.newNetworks ?? {});
    if (!out) {
      throw new Refusal(
        `This manager (${r.hostname}) is not registered in the database: run cfy_manager install first`,
      );
    }
    if ('taken' in out) {
      throw new Refusal(
        `Network name ${out.taken.join(', ')} already exists. Choose a different name or remove it first.`,
      );
    }
    return out;
  } finally {
    await db.close();
  }
}

/** The admin's new password; its failed-login counter is cleared and the account made active. */
export async function resetAdminPassword(r: RegisterRequest): Promise<{ username: string }> {
  if (!r.newPassword) throw new Refusal('The new admin password is empty');
  const db = await open(r.dbUrl, cloudifyUser(r));
  try {
    const username = await setAdminPasswordHash(db, await hashPassword(r.newPassword));
    if (!username) throw new Refusal('There is no admin user in the database: run cfy_manager install');
    return { username };
  } finally {
    await db.close();
  }
}
