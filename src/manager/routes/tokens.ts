// API tokens (rest-api.md §2.2): the secret is shown once, in the create response.
import { Type } from 'typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newToken, sha256 } from '../../common/tokens.js';
import { hasPermission } from '../auth/permissions.js';
import type { ManagerContext } from '../context.js';
import { badParameters, notFoundResource } from '../../common/errors.js';
import { errorResponses, listOf, NStr, resource, Str } from '../schemas/common.js';

const TokenBody = resource({
  id: Str,
  value: Str,
  username: Str,
  role: Str,
  expiration_date: NStr,
  last_used: NStr,
  description: NStr,
});

const SELECT = `SELECT t.id, u.username, t.description,
  to_char(t.expiration_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS expiration_date,
  to_char(t.last_used AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_used,
  coalesce((SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id LIMIT 1), 'default') AS role
  FROM tokens t JOIN users u ON u.id = t._user_fk`;

const masked = (row: Record<string, unknown>) => ({ ...row, value: '********' });

function seesAll(req: FastifyRequest): boolean {
  return hasPermission(req.auth.roles, 'manage_others_tokens');
}

export async function registerTokenRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  app.post(
    '/tokens',
    {
      config: { permission: 'create_token' },
      schema: {
        summary: 'Create an API token for the caller',
        body: Type.Optional(
          Type.Object(
            { description: Type.Optional(NStr), expiration_date: Type.Optional(NStr) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: TokenBody, ...errorResponses },
      },
    },
    async (req) => {
      const body = (req.body ?? {}) as { description?: string | null; expiration_date?: string | null };
      let expires: Date | null = null;
      if (body.expiration_date) {
        expires = new Date(body.expiration_date);
        if (Number.isNaN(expires.getTime()))
          throw badParameters(`expiration_date "${body.expiration_date}" is not a valid UTC date`);
      }
      const t = newToken();
      await ctx.db.transaction(async (tx) => {
        // Cloudify purges the caller's expired tokens on each create.
        await tx.query('DELETE FROM tokens WHERE _user_fk = $1 AND expiration_date < now()', [
          req.auth.user.id,
        ]);
        await tx.query(
          'INSERT INTO tokens (id, secret_hash, description, expiration_date, _user_fk) VALUES ($1, $2, $3, $4, $5)',
          [t.id, sha256(t.secret), body.description ?? null, expires, req.auth.user.id],
        );
      });
      const [row] = await ctx.db.query<Record<string, unknown>>(`${SELECT} WHERE t.id = $1`, [t.id]);
      return { ...row, value: t.value };
    },
  );

  app.get(
    '/tokens',
    {
      config: { permission: 'token_get' },
      schema: { summary: 'List tokens', response: { 200: listOf(TokenBody) } },
    },
    async (req) => {
      const rows = seesAll(req)
        ? await ctx.db.query<Record<string, unknown>>(`${SELECT} ORDER BY t._storage_id`)
        : await ctx.db.query<Record<string, unknown>>(`${SELECT} WHERE u.id = $1 ORDER BY t._storage_id`, [
            req.auth.user.id,
          ]);
      return {
        items: rows.map(masked),
        metadata: { pagination: { total: rows.length, size: rows.length, offset: 0 }, filtered: null },
      };
    },
  );

  const findOwn = async (req: FastifyRequest, id: string) => {
    const rows = await ctx.db.query<Record<string, unknown>>(
      `${SELECT} WHERE t.id = $1 AND ($2 OR u.id = $3)`,
      [id, seesAll(req), req.auth.user.id],
    );
    if (rows.length === 0) throw notFoundResource('Token', id);
    return rows[0];
  };

  app.get(
    '/tokens/:id',
    {
      config: { permission: 'list_token' },
      schema: { params: Type.Object({ id: Str }), response: { 200: TokenBody, ...errorResponses } },
    },
    async (req) => masked(await findOwn(req, (req.params as { id: string }).id)),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'delete_token' },
      schema: { params: Type.Object({ id: Str }), response: { ...errorResponses } },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      await findOwn(req, id);
      await ctx.db.query('DELETE FROM tokens WHERE id = $1', [id]);
      return reply.code(204).send();
    },
  );
}
