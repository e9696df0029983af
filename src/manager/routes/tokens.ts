// API tokens (rest-api.md §2.2): the secret is shown once, in the create response.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { newToken, sha256 } from '../../common/tokens.js';
import { createToken, deleteToken, findToken, type TokenView } from '../../store/repositories/tokens.js';
import { hasPermission } from '../auth/permissions.js';
import type { Api, ManagerContext } from '../context.js';
import { badParameters, notFoundResource } from '../../common/errors.js';
import { storableDate } from '../../common/dates.js';
import { errorResponses, NStr, resource, Str } from '../schemas/common.js';

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
/** How long a token from GET /tokens lasts (5.1's get_auth_token). */
const TOKEN_GET_HOURS = 10;

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
        if (!storableDate(expires))
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

  // 5.1's GET /tokens (`cfy tokens get`): a fresh token of the caller, valid 10 hours, as
  // {username, value, role}; the caller's tokens are listed by id with GET /tokens/{id}.
  app.get(
    '/tokens',
    {
      config: { permission: 'token_get' },
      schema: {
        summary: 'A new 10-hour authentication token for the caller (5.1)',
        response: { 200: Type.Object({ username: Str, value: Str, role: Str }), ...errorResponses },
      },
    },
    async (req) => {
      const t = newToken();
      const row = await createToken(ctx.db, {
        id: t.id,
        secretHash: sha256(t.secret),
        description: null,
        expires: new Date(Date.now() + TOKEN_GET_HOURS * 3600_000),
        userId: req.auth.user.id,
      });
      return { username: row.username, value: t.value, role: row.role };
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
