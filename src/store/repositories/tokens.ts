// API tokens: only the secret's hash is stored (common/tokens.ts makes the token and the hash).
import type { Db } from '../port.js';
import { ts } from './common.js';

/** A token as the API shows it, without its value. */
export interface TokenView {
  id: string;
  username: string;
  description: string | null;
  expiration_date: string | null;
  last_used: string | null;
  /** The owner's system role. */
  role: string;
}

const SELECT = `SELECT t.id, u.username, t.description, ${ts('t.expiration_date')} AS expiration_date,
  ${ts('t.last_used')} AS last_used,
  coalesce((SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id LIMIT 1), 'default') AS role
  FROM tokens t JOIN users u ON u.id = t._user_fk`;

/** Stores a new token of `userId`, purging that user's expired tokens in the same transaction. */
export async function createToken(
  db: Db,
  t: { id: string; secretHash: string; description: string | null; expires: Date | null; userId: number },
): Promise<TokenView> {
  await db.transaction(async (tx) => {
    // Cloudify purges the caller's expired tokens on each create.
    await tx.query('DELETE FROM tokens WHERE _user_fk = $1 AND expiration_date < now()', [t.userId]);
    await tx.query(
      'INSERT INTO tokens (id, secret_hash, description, expiration_date, _user_fk) VALUES ($1, $2, $3, $4, $5)',
      [t.id, t.secretHash, t.description, t.expires, t.userId],
    );
  });
  const [row] = await db.query<TokenView>(`${SELECT} WHERE t.id = $1`, [t.id]);
  return row;
}

/** Token `id`, when it belongs to `ownerId` (any owner when undefined). */
export async function findToken(db: Db, id: string, ownerId?: number): Promise<TokenView | undefined> {
  const [row] = await db.query<TokenView>(`${SELECT} WHERE t.id = $1 AND ($2 OR u.id = $3)`, [
    id,
    ownerId === undefined,
    ownerId ?? -1,
  ]);
  return row;
}

export async function deleteToken(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM tokens WHERE id = $1', [id]);
}

/** Records that the token was just used. */
export async function touchToken(db: Db, id: string): Promise<void> {
  await db.query('UPDATE tokens SET last_used = now() WHERE id = $1', [id]);
}
