// Secrets: values are stored encrypted (the manager's cipher encrypts and decrypts them); nothing here
// decrypts, and every value passed in or returned is the encrypted text.
import { notFoundResource } from '../../common/errors.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, sqlArray, ts } from './common.js';
import { findVisible, type ResourceDef, type Scope } from './list.js';

export type SecretVisibility = 'private' | 'tenant' | 'global';

const { id: _id, ...common } = commonFields;
export const SECRETS: ResourceDef = {
  kind: 'Secret',
  from: fromWithOwner('secrets'),
  tenantScoped: true,
  fields: {
    key: { sql: 't.id' },
    ...common,
    updated_at: { sql: ts('t.updated_at') },
    is_hidden_value: { sql: 't.is_hidden_value' },
    schema: json('t.schema'),
  },
};

/** One secret with its owner columns and its stored (encrypted) value. */
export interface SecretRow {
  key: string;
  visibility: SecretVisibility;
  tenant_name: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  is_hidden_value: boolean;
  schema: unknown;
  _storage_id: number;
  _tenant_id: number;
  _creator_id: number;
  /** The encrypted value. */
  _value: string;
}

const ROW = `t.id AS key, t.visibility, tn.name AS tenant_name, cu.username AS created_by,
  ${ts('t.created_at')} AS created_at, ${ts('t.updated_at')} AS updated_at,
  t.is_hidden_value, t.schema, t._storage_id, t._tenant_id, t._creator_id, t.value AS _value`;

/**
 * Secret `key` as `scope` may see it, or undefined. A tenant's own secret wins over another tenant's
 * global one of the same key (as in readableSecrets).
 */
export function findSecret(db: Db, scope: Scope, key: string): Promise<SecretRow | undefined> {
  return findVisible<SecretRow>(db, SECRETS, scope, key, { select: ROW });
}

/** findSecret, or 404 with Cloudify's "Requested `Secret` with ID `key` was not found". */
export async function getSecret(db: Db, scope: Scope, key: string): Promise<SecretRow> {
  const row = await findSecret(db, scope, key);
  if (!row) throw notFoundResource(SECRETS.kind, key);
  return row;
}

/** Whether `key` is taken in the tenant or globally, whoever may see that secret. */
export async function secretKeyTaken(db: Db, tenantId: number, key: string): Promise<boolean> {
  const rows = await db.query(
    "SELECT _storage_id FROM secrets WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')",
    [key, tenantId],
  );
  return rows.length > 0;
}

/** Whether a secret other than `exceptStorageId` has this key, in any tenant. */
export async function secretKeyUsedElsewhere(
  db: Db,
  key: string,
  exceptStorageId?: number,
): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM secrets WHERE id = $1 AND _storage_id <> $2', [
    key,
    exceptStorageId ?? -1,
  ]);
  return rows.length > 0;
}

export interface NewSecret {
  key: string;
  visibility: SecretVisibility;
  tenantId: number;
  creatorId: number;
  /** The encrypted value. */
  value: string;
  isHidden: boolean;
  schema: Record<string, unknown> | null;
}

export async function insertSecret(db: Db, s: NewSecret): Promise<void> {
  await db.query(
    `INSERT INTO secrets (id, visibility, _tenant_id, _creator_id, value, is_hidden_value, schema)
     VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)`,
    [
      s.key,
      s.visibility,
      s.tenantId,
      s.creatorId,
      s.value,
      s.isHidden,
      s.schema === null ? null : JSON.stringify(s.schema),
    ],
  );
}

/** A create that found the secret: new (encrypted) value and schema; hidden flag and visibility when given. */
export async function replaceSecret(
  db: Db,
  storageId: number,
  s: {
    value: string;
    isHidden?: boolean;
    visibility?: SecretVisibility;
    schema: Record<string, unknown> | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE secrets SET value = $2, is_hidden_value = coalesce($3, is_hidden_value),
       visibility = coalesce($4, visibility), schema = $5::text::jsonb, updated_at = now()
     WHERE _storage_id = $1`,
    [
      storageId,
      s.value,
      s.isHidden ?? null,
      s.visibility ?? null,
      s.schema === null ? null : JSON.stringify(s.schema),
    ],
  );
}

/** Changes what is given: the (encrypted) value, hidden flag, visibility, owner. */
export async function updateSecret(
  db: Db,
  storageId: number,
  s: { value?: string; isHidden?: boolean; visibility?: SecretVisibility; creatorId?: number },
): Promise<void> {
  await db.query(
    `UPDATE secrets SET value = coalesce($2, value), is_hidden_value = coalesce($3, is_hidden_value),
       visibility = coalesce($4, visibility), _creator_id = coalesce($5, _creator_id), updated_at = now()
     WHERE _storage_id = $1`,
    [storageId, s.value ?? null, s.isHidden ?? null, s.visibility ?? null, s.creatorId ?? null],
  );
}

export async function deleteSecret(db: Db, storageId: number): Promise<void> {
  await db.query('DELETE FROM secrets WHERE _storage_id = $1', [storageId]);
}

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
