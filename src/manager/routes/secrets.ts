// Secrets (rest-api.md §1.8): key/value pairs encrypted at rest (AES-256-GCM through ctx.secrets),
// with Cloudify's visibility (private/tenant/global) and hidden values. Lists never carry values.
import { Type } from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { hasPermission } from '../auth/permissions.js';
import { isAdmin, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import {
  badParameters,
  CloudifyError,
  conflict,
  forbidden,
  illegalAction,
  notFoundResource,
} from '../../common/errors.js';
import { listResources, type ResourceDef, scopeSql } from '../../store/repositories/list.js';
import { commonFields, fromWithOwner, json, ts } from '../../store/repositories/common.js';
import {
  Any,
  Bool,
  errorResponses,
  ListQuery,
  listOf,
  NStr,
  resource,
  Str,
  Visibility,
} from '../schemas/common.js';

type Vis = 'private' | 'tenant' | 'global';
const RANK: Record<Vis, number> = { private: 0, tenant: 1, global: 2 };

const { id: _id, ...common } = commonFields;
export const secretDef: ResourceDef = {
  kind: 'Secret',
  from: fromWithOwner('secrets'),
  tenantScoped: true,
  fields: {
    key: { sql: 't.id' },
    ...common,
    updated_at: { sql: ts('t.updated_at') },
    is_hidden_value: { sql: 't.is_hidden_value' },
    schema: json('t.schema'),
    provider_name: { sql: 'NULL::text', filter: false },
    provider_options: { sql: 'NULL::jsonb', filter: false },
  },
};

const secretProps = {
  key: Str,
  created_at: Str,
  updated_at: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  is_hidden_value: Bool,
  schema: Any,
  private_resource: Bool,
  resource_availability: Str,
  provider_name: NStr,
  provider_options: Any,
};
const SecretListItem = resource(secretProps);
const SecretBody = resource({ ...secretProps, value: Any });

const KeyParam = Type.Object({ key: Type.String({ minLength: 1 }) });
const VALID_KEY = /^[A-Za-z0-9_.-]+$/;

interface SecretRow {
  key: string;
  visibility: Vis;
  is_hidden_value: boolean;
  schema: unknown;
  tenant_name: string;
  created_by: string;
  _storage_id: number;
  _tenant_id: number;
  _creator_id: number;
  _value: string;
  [k: string]: unknown;
}

function checkKey(key: string): void {
  if (!VALID_KEY.test(key)) {
    throw badParameters(
      `The \`key\` argument contains illegal characters: "${key}". Only letters, digits and the characters "-", "." and "_" are allowed`,
    );
  }
}

/** Creator, sys_admin, or a manager of the secret's tenant may see and change a hidden value. */
function hiddenPermitted(req: FastifyRequest, row: SecretRow): boolean {
  if (isAdmin(req) || row._creator_id === req.auth.user.id) return true;
  return req.auth.roles.includes('manager') && req.auth.tenant?.id === row._tenant_id;
}

/** A secret with a schema holds any JSON value (stored as JSON text); otherwise a non-empty string. */
function encodeValue(key: string, value: unknown, schema: unknown): string {
  if (schema !== undefined && schema !== null) {
    let zschema: z.ZodType;
    try {
      zschema = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (e) {
      throw badParameters(
        `The schema of secret \`${key}\` is not a valid JSON schema: ${(e as Error).message}`,
      );
    }
    const r = zschema.safeParse(value);
    if (!r.success) {
      throw conflict(
        `The value of secret \`${key}\` does not match its schema: ${r.error.issues.map((i) => i.message).join('; ')}`,
      );
    }
    return JSON.stringify(value);
  }
  if (typeof value !== 'string') throw badParameters(`The value of secret \`${key}\` must be a string`);
  if (value === '') throw badParameters(`Cannot create a secret with empty value: ${key}`);
  return value;
}

export async function registerSecretRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db } = ctx;

  const find = async (req: FastifyRequest, key: string): Promise<SecretRow> => {
    const params: unknown[] = [key];
    const conds = scopeSql(secretDef, scopeOf(req), params);
    const rows = await db.query<SecretRow>(
      `SELECT t.id AS key, t.visibility, tn.name AS tenant_name, cu.username AS created_by,
         ${ts('t.created_at')} AS created_at, ${ts('t.updated_at')} AS updated_at,
         t.is_hidden_value, t.schema, t._storage_id, t._tenant_id, t._creator_id, t.value AS _value
       FROM ${secretDef.from} WHERE t.id = $1 AND ${conds.join(' AND ')}
       ORDER BY (t._tenant_id = $2) DESC LIMIT 1`,
      params,
    );
    if (rows.length === 0) throw notFoundResource('Secret', key);
    return rows[0];
  };

  const view = (req: FastifyRequest, row: SecretRow) => {
    let value: unknown = '';
    if (!row.is_hidden_value || hiddenPermitted(req, row)) {
      let plain: string;
      try {
        plain = ctx.secrets.decrypt(row._value);
      } catch {
        throw new CloudifyError(
          500,
          'internal_server_error',
          `The secret value for key \`${row.key}\` is malformed, please recreate the secret`,
        );
      }
      value = row.schema !== null && row.schema !== undefined ? JSON.parse(plain) : plain;
    }
    return {
      key: row.key,
      value,
      created_at: row.created_at as string,
      updated_at: row.updated_at as string,
      visibility: row.visibility,
      tenant_name: row.tenant_name,
      created_by: row.created_by,
      is_hidden_value: row.is_hidden_value,
      schema: row.schema ?? null,
      private_resource: row.visibility === 'private',
      resource_availability: row.visibility,
      provider_name: null,
      provider_options: null,
    };
  };

  const checkModify = (req: FastifyRequest, row: SecretRow) => {
    if (row.is_hidden_value && !hiddenPermitted(req, row)) {
      throw forbidden(
        `User \`${req.auth.user.username}\` is not permitted to modify the hidden value secret \`${row.key}\``,
      );
    }
  };

  /** A global secret's key must be unique across every tenant. */
  const checkGlobalAllowed = async (req: FastifyRequest, key: string, exceptStorageId?: number) => {
    if (!hasPermission(req.auth.roles, 'create_global_resource')) {
      throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set a global resource`);
    }
    const clash = await db.query<{ tenant: string }>(
      'SELECT tn.name AS tenant FROM secrets s JOIN tenants tn ON tn.id = s._tenant_id WHERE s.id = $1 AND s._storage_id <> $2',
      [key, exceptStorageId ?? -1],
    );
    if (clash.length) {
      throw conflict(
        `Can't set or create the resource \`${key}\`, it's visibility can't be global because it also exists in other tenants`,
      );
    }
  };

  const checkVisibilityChange = async (req: FastifyRequest, row: SecretRow, to: Vis) => {
    if (to === row.visibility) return;
    if (row.visibility === 'global') {
      throw illegalAction(
        `Can't set the visibility of \`${row.key}\` to ${to} because it already has global visibility`,
      );
    }
    if (RANK[to] < RANK[row.visibility]) {
      throw illegalAction(
        `Can't set the visibility of \`${row.key}\` to ${to} because it already has wider visibility (${row.visibility})`,
      );
    }
    if (to === 'global') await checkGlobalAllowed(req, row.key, row._storage_id);
  };

  app.get(
    '/secrets',
    {
      config: { permission: 'secret_list', tenant: true },
      schema: {
        summary: 'List secrets (keys and metadata, never values)',
        querystring: ListQuery,
        response: { 200: listOf(SecretListItem), ...errorResponses },
      },
    },
    async (req) =>
      listResources(db, ctx.config, secretDef, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      }),
  );

  app.get(
    '/secrets/:key',
    {
      config: { permission: 'secret_get', tenant: true },
      schema: {
        summary: 'Get a secret with its decrypted value (empty when hidden from the caller)',
        params: KeyParam,
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params as { key: string };
      checkKey(key);
      return view(req, await find(req, key));
    },
  );

  app.put(
    '/secrets/:key',
    {
      config: { permission: 'secret_create', tenant: true },
      schema: {
        summary: 'Create a secret, or update it when update_if_exists is true',
        params: KeyParam,
        body: Type.Object(
          {
            value: Any,
            update_if_exists: Type.Optional(Bool),
            visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
            is_hidden_value: Type.Optional(Bool),
            schema: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Any()), Type.Null()])),
            provider_name: Type.Optional(NStr),
            provider_options: Type.Optional(Any),
          },
          { additionalProperties: false },
        ),
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params as { key: string };
      checkKey(key);
      const body = req.body as {
        value?: unknown;
        update_if_exists?: boolean;
        visibility?: Vis | null;
        is_hidden_value?: boolean;
        schema?: Record<string, unknown> | null;
        provider_name?: string | null;
      };
      if (body.value === undefined || body.value === null) {
        throw badParameters('Missing value in json request body');
      }
      if (body.provider_name) {
        throw badParameters(
          `Secrets provider \`${body.provider_name}\` does not exist: no providers are set up`,
        );
      }
      const schema = body.schema ?? null;
      const plain = encodeValue(key, body.value, schema);
      const tenant = tenantOf(req);
      const existing = await db.query<{ _storage_id: number }>(
        "SELECT _storage_id FROM secrets WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')",
        [key, tenant.id],
      );
      if (existing.length) {
        if (!body.update_if_exists) {
          throw conflict(`Secret \`${key}\` already exists in tenant \`${tenant.name}\` or globally`);
        }
        const row = await find(req, key);
        checkModify(req, row);
        if (body.visibility) await checkVisibilityChange(req, row, body.visibility);
        await db.query(
          `UPDATE secrets SET value = $2, is_hidden_value = coalesce($3, is_hidden_value),
             visibility = coalesce($4, visibility), schema = $5::text::jsonb, updated_at = now()
           WHERE _storage_id = $1`,
          [
            row._storage_id,
            ctx.secrets.encrypt(plain),
            body.is_hidden_value ?? null,
            body.visibility ?? null,
            schema === null ? null : JSON.stringify(schema),
          ],
        );
        return view(req, await find(req, key));
      }
      const visibility = body.visibility ?? 'tenant';
      if (visibility === 'global') await checkGlobalAllowed(req, key);
      await db.query(
        `INSERT INTO secrets (id, visibility, _tenant_id, _creator_id, value, is_hidden_value, schema)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)`,
        [
          key,
          visibility,
          tenant.id,
          req.auth.user.id,
          ctx.secrets.encrypt(plain),
          body.is_hidden_value ?? false,
          schema === null ? null : JSON.stringify(schema),
        ],
      );
      return view(req, await find(req, key));
    },
  );

  app.patch(
    '/secrets/:key',
    {
      config: { permission: 'secret_update', tenant: true },
      schema: {
        summary: 'Update the value, visibility or hidden flag of a secret',
        params: KeyParam,
        body: Type.Optional(
          Type.Object(
            {
              value: Type.Optional(Any),
              visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
              is_hidden_value: Type.Optional(Type.Union([Bool, Type.Null()])),
              creator: Type.Optional(NStr),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params as { key: string };
      checkKey(key);
      const body = (req.body ?? {}) as {
        value?: unknown;
        visibility?: Vis | null;
        is_hidden_value?: boolean | null;
        creator?: string | null;
      };
      if (Object.values(body).every((v) => v === undefined || v === null)) {
        throw illegalAction('Update a secret request must include at least one parameter to update');
      }
      const row = await find(req, key);
      checkModify(req, row);
      if (body.is_hidden_value !== undefined && body.is_hidden_value !== null && !hiddenPermitted(req, row)) {
        throw forbidden(
          `User \`${req.auth.user.username}\` is not permitted to modify the secret \`${key}\` to be hidden value`,
        );
      }
      if (body.visibility) await checkVisibilityChange(req, row, body.visibility);
      let creatorId: number | null = null;
      if (body.creator) {
        if (!isAdmin(req))
          throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set an owner`);
        const u = await db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [body.creator]);
        if (!u.length) throw notFoundResource('User', body.creator);
        creatorId = u[0].id;
      }
      const hasValue = body.value !== undefined && body.value !== null && body.value !== '';
      const encrypted = hasValue ? ctx.secrets.encrypt(encodeValue(key, body.value, row.schema)) : null;
      await db.query(
        `UPDATE secrets SET value = coalesce($2, value), is_hidden_value = coalesce($3, is_hidden_value),
           visibility = coalesce($4, visibility), _creator_id = coalesce($5, _creator_id), updated_at = now()
         WHERE _storage_id = $1`,
        [row._storage_id, encrypted, body.is_hidden_value ?? null, body.visibility ?? null, creatorId],
      );
      return view(req, await find(req, key));
    },
  );

  app.delete(
    '/secrets/:key',
    {
      config: { permission: 'secret_delete', tenant: true },
      schema: { summary: 'Delete a secret', params: KeyParam, response: { ...errorResponses } },
    },
    async (req, reply) => {
      const { key } = req.params as { key: string };
      checkKey(key);
      const row = await find(req, key);
      checkModify(req, row);
      await db.query('DELETE FROM secrets WHERE _storage_id = $1', [row._storage_id]);
      return reply.code(204).send();
    },
  );

  app.patch(
    '/secrets/:key/set-visibility',
    {
      config: { permission: 'resource_set_visibility', tenant: true },
      schema: {
        summary: 'Widen the visibility of a secret',
        params: KeyParam,
        body: Type.Object({ visibility: Visibility }, { additionalProperties: false }),
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params as { key: string };
      checkKey(key);
      const { visibility } = req.body as { visibility: Vis };
      const row = await find(req, key);
      checkModify(req, row);
      await checkVisibilityChange(req, row, visibility);
      await db.query('UPDATE secrets SET visibility = $2, updated_at = now() WHERE _storage_id = $1', [
        row._storage_id,
        visibility,
      ]);
      return view(req, await find(req, key));
    },
  );
}
