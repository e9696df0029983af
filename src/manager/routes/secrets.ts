// Secrets (rest-api.md §1.8): key/value pairs encrypted at rest (AES-256-GCM through ctx.secrets),
// with Cloudify's visibility (private/tenant/global) and hidden values. Lists never carry values.
// The cipher stays here: the repository stores and returns the encrypted text only.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Static, Type } from 'typebox';
import type { Db } from '../../store/port.js';
import { listResources } from '../../store/repositories/list.js';
import {
  deleteSecret,
  getSecret,
  insertSecret,
  replaceSecret,
  SECRETS,
  type SecretRow,
  type SecretVisibility,
  secretKeyTaken,
  secretKeyUsedElsewhere,
  updateSecret,
} from '../../store/repositories/secrets.js';
import { findUserId } from '../../store/repositories/users.js';
import { hasPermission } from '../auth/permissions.js';
import { type Api, isAdmin, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import {
  badParameters,
  CloudifyError,
  conflict,
  forbidden,
  illegalAction,
  notFoundResource,
} from '../../common/errors.js';
import { errorResponses, ListQuery, listOf } from '../schemas/common.js';
import {
  CreateSecretBody,
  KeyParam,
  SecretBody,
  SecretListItem,
  UpdateSecretBody,
  VisibilityBody,
} from '../schemas/secrets.js';

const RANK: Record<SecretVisibility, number> = { private: 0, tenant: 1, global: 2 };

const VALID_KEY = /^[A-Za-z0-9_.-]+$/;

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

/** The secret as the API shows it: the decrypted value, or '' when it is hidden from the caller. */
function secretView(ctx: ManagerContext, req: FastifyRequest, row: SecretRow) {
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
    created_at: row.created_at,
    updated_at: row.updated_at,
    visibility: row.visibility,
    tenant_name: row.tenant_name,
    created_by: row.created_by,
    is_hidden_value: row.is_hidden_value,
    // 5.1's fields only (what `cfy secrets get` prints); a newer secret's schema when it has one
    ...(row.schema !== null && row.schema !== undefined ? { schema: row.schema } : {}),
    private_resource: row.visibility === 'private',
    resource_availability: row.visibility,
  };
}

function checkModify(req: FastifyRequest, row: SecretRow): void {
  if (row.is_hidden_value && !hiddenPermitted(req, row)) {
    throw forbidden(
      `User \`${req.auth.user.username}\` is not permitted to modify the hidden value secret \`${row.key}\``,
    );
  }
}

/** A global secret's key must be unique across every tenant. */
async function checkGlobalAllowed(db: Db, req: FastifyRequest, key: string, exceptStorageId?: number) {
  if (!hasPermission(req.auth.roles, 'create_global_resource')) {
    throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set a global resource`);
  }
  if (await secretKeyUsedElsewhere(db, key, exceptStorageId)) {
    throw conflict(
      `Can't set or create the resource \`${key}\`, it's visibility can't be global because it also exists in other tenants`,
    );
  }
}

async function checkVisibilityChange(db: Db, req: FastifyRequest, row: SecretRow, to: SecretVisibility) {
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
  if (to === 'global') await checkGlobalAllowed(db, req, row.key, row._storage_id);
}

export async function registerSecretRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerCreate(app, ctx);
  registerUpdate(app, ctx);
  registerDelete(app, ctx);
  registerSetVisibility(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
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
    async (req) => listResources(ctx.db, ctx.config, SECRETS, { query: req.query, scope: scopeOf(req) }),
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
      const { key } = req.params;
      checkKey(key);
      return secretView(ctx, req, await getSecret(ctx.db, scopeOf(req), key));
    },
  );
}

function registerCreate(app: Api, ctx: ManagerContext): void {
  app.put(
    '/secrets/:key',
    {
      config: { permission: 'secret_create', tenant: true },
      schema: {
        summary: 'Create a secret, or update it when update_if_exists is true',
        params: KeyParam,
        body: CreateSecretBody,
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params;
      checkKey(key);
      await createOrReplace(ctx, req, key, req.body);
      return secretView(ctx, req, await getSecret(ctx.db, scopeOf(req), key));
    },
  );
}

/** PUT /secrets/:key: a new secret, or (update_if_exists) a new value for the one the caller sees. */
async function createOrReplace(
  ctx: ManagerContext,
  req: FastifyRequest,
  key: string,
  body: Static<typeof CreateSecretBody>,
): Promise<void> {
  const { db } = ctx;
  if (body.value === undefined || body.value === null) {
    throw badParameters('Missing value in json request body');
  }
  if (body.provider_name) {
    throw badParameters(`Secrets provider \`${body.provider_name}\` does not exist: no providers are set up`);
  }
  const schema = body.schema ?? null;
  const plain = encodeValue(key, body.value, schema);
  const tenant = tenantOf(req);
  if (await secretKeyTaken(db, tenant.id, key)) {
    if (!body.update_if_exists) {
      throw conflict(`Secret \`${key}\` already exists in tenant \`${tenant.name}\` or globally`);
    }
    const row = await getSecret(db, scopeOf(req), key);
    checkModify(req, row);
    if (body.visibility) await checkVisibilityChange(db, req, row, body.visibility);
    await replaceSecret(db, row._storage_id, {
      value: ctx.secrets.encrypt(plain),
      isHidden: body.is_hidden_value,
      visibility: body.visibility ?? undefined,
      schema,
    });
    return;
  }
  const visibility = body.visibility ?? 'tenant';
  if (visibility === 'global') await checkGlobalAllowed(db, req, key);
  await insertSecret(db, {
    key,
    visibility,
    tenantId: tenant.id,
    creatorId: req.auth.user.id,
    value: ctx.secrets.encrypt(plain),
    isHidden: body.is_hidden_value ?? false,
    schema,
  });
}

function registerUpdate(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.patch(
    '/secrets/:key',
    {
      config: { permission: 'secret_update', tenant: true },
      schema: {
        summary: 'Update the value, visibility or hidden flag of a secret',
        params: KeyParam,
        body: UpdateSecretBody,
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params;
      checkKey(key);
      const body = req.body ?? {};
      if (Object.values(body).every((v) => v === undefined || v === null)) {
        throw illegalAction('Update a secret request must include at least one parameter to update');
      }
      const scope = scopeOf(req);
      const row = await getSecret(db, scope, key);
      checkModify(req, row);
      if (body.is_hidden_value !== undefined && body.is_hidden_value !== null && !hiddenPermitted(req, row)) {
        throw forbidden(
          `User \`${req.auth.user.username}\` is not permitted to modify the secret \`${key}\` to be hidden value`,
        );
      }
      if (body.visibility) await checkVisibilityChange(db, req, row, body.visibility);
      const creatorId = body.creator ? await newOwner(db, req, body.creator) : undefined;
      const hasValue = body.value !== undefined && body.value !== null && body.value !== '';
      await updateSecret(db, row._storage_id, {
        value: hasValue ? ctx.secrets.encrypt(encodeValue(key, body.value, row.schema)) : undefined,
        isHidden: body.is_hidden_value ?? undefined,
        visibility: body.visibility ?? undefined,
        creatorId,
      });
      return secretView(ctx, req, await getSecret(db, scope, key));
    },
  );
}

/** The id of the user a secret is handed to: sys_admin only, and the user must exist. */
async function newOwner(db: Db, req: FastifyRequest, username: string): Promise<number> {
  if (!isAdmin(req)) throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set an owner`);
  const id = await findUserId(db, username);
  if (id === undefined) throw notFoundResource('User', username);
  return id;
}

function registerDelete(app: Api, ctx: ManagerContext): void {
  app.delete(
    '/secrets/:key',
    {
      config: { permission: 'secret_delete', tenant: true },
      schema: {
        summary: 'Delete a secret',
        params: KeyParam,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { key } = req.params;
      checkKey(key);
      const row = await getSecret(ctx.db, scopeOf(req), key);
      checkModify(req, row);
      await deleteSecret(ctx.db, row._storage_id);
      return reply.code(204).send(null);
    },
  );
}

function registerSetVisibility(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.patch(
    '/secrets/:key/set-visibility',
    {
      config: { permission: 'resource_set_visibility', tenant: true },
      schema: {
        summary: 'Widen the visibility of a secret',
        params: KeyParam,
        body: VisibilityBody,
        response: { 200: SecretBody, ...errorResponses },
      },
    },
    async (req) => {
      const { key } = req.params;
      checkKey(key);
      const { visibility } = req.body;
      const scope = scopeOf(req);
      const row = await getSecret(db, scope, key);
      checkModify(req, row);
      await checkVisibilityChange(db, req, row, visibility);
      await updateSecret(db, row._storage_id, { visibility });
      return secretView(ctx, req, await getSecret(db, scope, key));
    },
  );
}
