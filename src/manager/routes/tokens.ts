// API tokens (rest-api.md §2.2): the secret is shown once, in the create response.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { newToken, sha256 } from '../../common/tokens.js';
import {
  createToken,
  deleteToken,
  findToken,
  listTokens,
  type TokenView,
} from '../../store/repositories/tokens.js';
import { hasPermission } from '../auth/permissions.js';
import type { Api, ManagerContext } from '../context.js';
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
const TokenId = Type.Object({ id: Str });

const masked = (row: TokenView) => ({ ...row, value: '********' });

/** The caller's id, or undefined when they may see and delete everyone's tokens. */
function ownerFilter(req: FastifyRequest): number | undefined {
  return hasPermission(req.auth.roles, 'manage_others_tokens') ? undefined : req.auth.user.id;
}

export async function registerTokenRoutes(app: Api, ctx: ManagerContext): Promise<void> {
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
      const body = req.body ?? {};
      let expires: Date | null = null;
      if (body.expiration_date) {
        expires = new Date(body.expiration_date);
        if (Number.isNaN(expires.getTime()))
          throw badParameters(`expiration_date "${body.expiration_date}" is not a valid UTC date`);
      }
      const t = newToken();
      const row = await createToken(ctx.db, {
        id: t.id,
        secretHash: sha256(t.secret),
        description: body.description ?? null,
        expires,
        userId: req.auth.user.id,
      });
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
      const rows = await listTokens(ctx.db, ownerFilter(req));
      return {
        items: rows.map(masked),
        metadata: { pagination: { total: rows.length, size: rows.length, offset: 0 }, filtered: null },
      };
    },
  );

  const findOwn = async (req: FastifyRequest, id: string) => {
    const row = await findToken(ctx.db, id, ownerFilter(req));
    if (!row) throw notFoundResource('Token', id);
    return row;
  };

  app.get(
    '/tokens/:id',
    {
      config: { permission: 'list_token' },
      schema: { params: TokenId, response: { 200: TokenBody, ...errorResponses } },
    },
    async (req) => masked(await findOwn(req, req.params.id)),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'delete_token' },
      schema: { params: TokenId, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      await findOwn(req, req.params.id);
      await deleteToken(ctx.db, req.params.id);
      return reply.code(204).send(null);
    },
  );
}
