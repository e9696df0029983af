// Users (rest-api.md §1.2): the caller's own record, and administration by sys_admin.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../store/port.js';
import { hashPassword } from '../auth/passwords.js';
import type { ManagerContext } from '../context.js';
import { badParameters, conflict, notFoundResource } from '../../common/errors.js';
import { Any, Bool, errorResponses, listOf, NStr, resource, Str } from '../schemas/common.js';

export const UserBody = resource({
  username: Str,
  role: Str,
  active: Bool,
  is_locked: Bool,
  tenants: Any,
  tenant_roles: Any,
  groups: Any,
  group_system_roles: Any,
  created_at: NStr,
  first_login_at: NStr,
  last_login_at: NStr,
  show_getting_started: Bool,
});

const VALID_NAME = /^[A-Za-z][\w.-]{0,255}$/;

export async function userView(db: Db, config: ManagerContext['config'], username: string) {
  const rows = await db.query<Record<string, any>>(
    `SELECT u.id, u.username, u.active, u.show_getting_started, u.failed_logins_counter, u.last_failed_login_at,
       to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
       to_char(u.first_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first_login_at,
       to_char(u.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_login_at,
       coalesce((SELECT r.name FROM users_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id LIMIT 1), 'default') AS role
     FROM users u WHERE u.username = $1`,
    [username],
  );
  if (rows.length === 0) throw notFoundResource('User', username);
  const u = rows[0];
  const tenants = await db.query<{ name: string; role: string }>(
    'SELECT t.name, r.name AS role FROM users_tenants ut JOIN tenants t ON t.id = ut.tenant_id JOIN roles r ON r.id = ut.role_id WHERE ut.user_id = $1 ORDER BY t.name',
    [u.id],
  );
  const lockedUntil = (u.last_failed_login_at?.getTime() ?? 0) + config.accountLockMinutes * 60_000;
  return {
    username: u.username,
    role: u.role,
    active: u.active,
    is_locked: u.failed_logins_counter >= config.failedLoginsBeforeLock && lockedUntil > Date.now(),
    tenants: Object.fromEntries(tenants.map((t) => [t.name, { 'tenant-role': t.role, roles: [t.role] }])),
    tenant_roles: { direct: Object.fromEntries(tenants.map((t) => [t.name, t.role])), groups: {} },
    groups: [],
    group_system_roles: {},
    created_at: u.created_at,
    first_login_at: u.first_login_at,
    last_login_at: u.last_login_at,
    show_getting_started: u.show_getting_started,
  };
}

export async function roleId(db: Db, name: string, type: 'system_role' | 'tenant_role'): Promise<number> {
  const rows = await db.query<{ id: number }>('SELECT id FROM roles WHERE name = $1 AND type = $2', [
    name,
    type,
  ]);
  if (rows.length === 0) {
    const kind = type === 'system_role' ? 'sys_admin or default' : 'manager, user, operations or viewer';
    throw badParameters(`Role "${name}" does not exist: use ${kind}`);
  }
  return rows[0].id;
}

const Username = Type.Object({ username: Str });

export async function registerUserRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;

  app.get(
    '/user',
    {
      config: { permission: 'user_get_self' },
      schema: { summary: 'The calling user', response: { 200: UserBody } },
    },
    async (req) => userView(db, config, req.auth.user.username),
  );

  app.get(
    '/users',
    {
      config: { permission: 'user_list' },
      schema: { summary: 'List users', response: { 200: listOf(UserBody) } },
    },
    async () => {
      const names = await db.query<{ username: string }>('SELECT username FROM users ORDER BY id');
      const items = await Promise.all(names.map((n) => userView(db, config, n.username)));
      return {
        items,
        metadata: { pagination: { total: items.length, size: items.length, offset: 0 }, filtered: null },
      };
    },
  );

  app.put(
    '/users',
    {
      config: { permission: 'user_create' },
      schema: {
        summary: 'Create a user',
        body: Type.Object(
          {
            username: Str,
            password: Type.String({ minLength: 1 }),
            role: Type.Optional(Str),
            is_prehashed: Type.Optional(Bool),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body as { username: string; password: string; role?: string };
      if (!VALID_NAME.test(body.username)) {
        throw badParameters(
          `Invalid username "${body.username}": start with a letter, then letters, digits, '-', '_' or '.'`,
        );
      }
      const role = await roleId(db, body.role ?? 'default', 'system_role');
      const hash = await hashPassword(body.password);
      await db.transaction(async (tx) => {
        const exists = await tx.query('SELECT 1 FROM users WHERE username = $1', [body.username]);
        if (exists.length) throw conflict(`User \`${body.username}\` already exists`);
        const [u] = await tx.query<{ id: number }>(
          'INSERT INTO users (username, password) VALUES ($1, $2) RETURNING id',
          [body.username, hash],
        );
        await tx.query('INSERT INTO users_roles (user_id, role_id) VALUES ($1, $2)', [u.id, role]);
      });
      return reply.code(201).send(await userView(db, config, body.username));
    },
  );

  app.get(
    '/users/:username',
    {
      config: { permission: 'user_get_self' },
      schema: { params: Username, response: { 200: UserBody, ...errorResponses } },
    },
    async (req) => {
      const { username } = req.params as { username: string };
      if (username !== req.auth.user.username && !req.auth.roles.includes('sys_admin')) {
        throw notFoundResource('User', username);
      }
      return userView(db, config, username);
    },
  );

  app.post(
    '/users/:username',
    {
      config: { permission: 'user_get_self' },
      schema: {
        summary: 'Change a password, role or getting-started flag',
        params: Username,
        body: Type.Object(
          {
            password: Type.Optional(Type.String({ minLength: 1 })),
            role: Type.Optional(Str),
            show_getting_started: Type.Optional(Bool),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserBody, ...errorResponses },
      },
    },
    async (req) => {
      const { username } = req.params as { username: string };
      const body = req.body as { password?: string; role?: string; show_getting_started?: boolean };
      const self = username === req.auth.user.username;
      const admin = req.auth.roles.includes('sys_admin');
      if (!self && !admin) throw notFoundResource('User', username);
      await userView(db, config, username);
      if (body.password)
        await db.query('UPDATE users SET password = $2 WHERE username = $1', [
          username,
          await hashPassword(body.password),
        ]);
      if (body.show_getting_started !== undefined) {
        await db.query('UPDATE users SET show_getting_started = $2 WHERE username = $1', [
          username,
          body.show_getting_started,
        ]);
      }
      if (body.role) {
        if (!admin) throw badParameters('Only sys_admin may change a role');
        const rid = await roleId(db, body.role, 'system_role');
        await db.query(
          'UPDATE users_roles SET role_id = $2 WHERE user_id = (SELECT id FROM users WHERE username = $1)',
          [username, rid],
        );
      }
      return userView(db, config, username);
    },
  );

  app.post(
    '/users/unlock/:username',
    {
      config: { permission: 'user_unlock' },
      schema: { params: Username, response: { 200: UserBody, ...errorResponses } },
    },
    async (req) => {
      const { username } = req.params as { username: string };
      await userView(db, config, username);
      await db.query('UPDATE users SET failed_logins_counter = 0 WHERE username = $1', [username]);
      return userView(db, config, username);
    },
  );

  app.post(
    '/users/active/:username',
    {
      config: { permission: 'user_update' },
      schema: {
        params: Username,
        body: Type.Object({ action: Type.Union([Type.Literal('activate'), Type.Literal('deactivate')]) }),
        response: { 200: UserBody, ...errorResponses },
      },
    },
    async (req) => {
      const { username } = req.params as { username: string };
      const { action } = req.body as { action: string };
      await userView(db, config, username);
      if (username === 'admin' && action === 'deactivate')
        throw badParameters('The bootstrap admin cannot be deactivated');
      await db.query('UPDATE users SET active = $2 WHERE username = $1', [username, action === 'activate']);
      return userView(db, config, username);
    },
  );
}
