// Secrets: values are stored encrypted (store/secrets-crypto.ts); nothing here decrypts.
import type { Db } from '../port.js';
import { sqlArray } from './common.js';

/**
 * The stored (encrypted) values of the named secrets a deployment of `tenantId` may read: its
 * tenant's own, else a global one of the same name.
 */
export async function readableSecrets(
  db: Db,
  tenantId: number,
  names: string[],
): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; value: string; own: boolean }>(
    `SELECT id, value, (_tenant_id = $1) AS own FROM secrets WHERE id = ANY($2::text[])
     AND (_tenant_id = $1 OR visibility = 'global') ORDER BY own`,
    [tenantId, sqlArray(names)],
  );
  // a tenant's own secret wins over a global one of the same name (ordered last)
  return new Map(rows.map((r) => [r.id, r.value]));
}
