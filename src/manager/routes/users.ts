// Users (rest-api.md §1.2): the caller's own record, and administration by sys_admin.
import type { FastifyRequest } from 'fastify';
import type { Db } from '../../store/port.js';
import {
  createUser,
  findRoleId,
  findUser,
  type RoleType,
  setUserActive,
  unlockUser,
  type UserChanges,
  type UserRecord,
  updateUser,
  userTenantRoles,
  usernames,
} from '../../store/repositories/users.js';
import type { Authenticator } from '../auth/authenticate.js';
import { hashPassword } from '../auth/passwords.js';
import { type Api, isAdmin, type ManagerContext } from '../context.js';
import { badParameters, conflict, notFoundResource } from '../../common/errors.js';
import { errorResponses, GetData, listOf } from '../schemas/common.js';
import { ActivationBody, ChangeUserBody, CreateUserBody, UserBody, UsernameParam } from '../schemas/users.js';

const VALID_NAME = /^[A-Za-z][\w.-]{0,255}$/;

/** User `username`, or 404 User. */
async function getUser(db: Db, username: string): Promise<UserRecord> {
  const u = await findUser(db, username);
  if (!u) throw notFoundResource('User', username);
  return u;
}

/** A user as 5.1 shows it: without `getData` (`?_get_data=true`) its tenants and groups are counts. */
export async function userView(
  db: Db,
  auth: Pick<Authenticator, 'lockedAnywhere'>,
  username: string,
  getData = true,
) {
  const u = await getUser(db, username);
  const tenants = await userTenantRoles(db, u.id);
  const data = getData
    ? {
        tenants: Object.fromEntries(tenants.map((t) => [t.name, { 'tenant-role': t.role, roles: [t.role] }])),
        tenant_roles: { direct: Object.fromEntries(tenants.map((t) => [t.name, t.role])), groups: {} },
        groups: [],
      }
    : { tenants: tenants.length, groups: 0 };
  return {
    username: u.username,
    role: u.role,
    active: u.active,
    is_locked: auth.lockedAnywhere(u.username),
    ...data,
    group_system_roles: {},
    created_at: u.created_at,
    first_login_at: u.first_login_at,
    last_login_at: u.last_login_at,
    show_getting_started: u.show_getting_started,
  };
}

/** The id of role `name` of the given type, or 400 naming the roles there are. */
export async function roleId(db: Db, name: string, type: RoleType): Promise<number> {
  const id = await findRoleId(db, name, type);
  if (id === undefined) {
    const kind = type === 'system_role' ? 'sys_admin or default' : 'manager, user, operations or viewer';
    throw badParameters(`Role "${name}" does not exist: use ${kind}`);
  }
  return id;
}

/** Only the user themselves and sys_admin may see or change a user; to anyone else it does not exist. */
function checkSelfOrAdmin(req: FastifyRequest, username: string): void {
  if (username !== req.auth.user.username && !isAdmin(req)) throw notFoundResource('User', username);
}

export async function registerUserRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerCreate(app, ctx);
  registerChanges(app, ctx);
  registerAdministration(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.get(
    '/user',
    {
      config: { permission: 'user_get_self' },
      schema: { summary: 'The calling user', querystring: GetData, response: { 200: UserBody } },
    },
    async (req) => userView(db, ctx.authenticator, req.auth.user.username, req.query._get_data ?? false),
  );

  app.get(
    '/users',
    {
      config: { permission: 'user_list' },
      schema: { summary: 'List users', querystring: GetData, response: { 200: listOf(UserBody) } },
    },
    async (req) => {
      const getData = req.query._get_data ?? false;
      const items = await Promise.all(
        (await usernames(db)).map((n) => userView(db, ctx.authenticator, n, getData)),
      );
      return {
        items,
        metadata: { pagination: { total: items.length, size: items.length, offset: 0 }, filtered: null },
      };
    },
  );

  app.get(
    '/users/:username',
    {
      config: { permission: 'user_get_self' },
      schema: {
        params: UsernameParam,
        querystring: GetData,
        response: { 200: UserBody, ...errorResponses },
      },
    },
    async (req) => {
      checkSelfOrAdmin(req, req.params.username);
      return userView(db, ctx.authenticator, req.params.username, req.query._get_data ?? false);
    },
  );
}

function registerCreate(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.put(
    '/users',
    {
      config: { permission: 'user_create' },
      schema: {
        summary: 'Create a user',
        body: CreateUserBody,
        response: { 201: UserBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { username, password, role } = req.body;
      if (!VALID_NAME.test(username)) {
        throw badParameters(
          `Invalid username "${username}": start with a letter, then letters, digits, '-', '_' or '.'`,
        );
      }
      const systemRoleId = await roleId(db, role ?? 'default', 'system_role');
      const created = await createUser(db, {
        username,
        passwordHash: await hashPassword(password),
        systemRoleId,
      });
      if (!created) throw conflict(`User \`${username}\` already exists`);
      return reply.code(201).send(await userView(db, ctx.authenticator, username));
    },
  );
}

function registerChanges(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.post(
    '/users/:username',
    {
      config: { permission: 'user_get_self' },
      schema: {
        summary: 'Change a password, role or getting-started flag',
        params: UsernameParam,
        body: ChangeUserBody,
        response: { 200: UserBody, ...errorResponses },
      },
    },
    async (req) => {
      const { username } = req.params;
      const { password, role, show_getting_started } = req.body;
      checkSelfOrAdmin(req, username);
      await getUser(db, username);
      const changes: UserChanges = { showGettingStarted: show_getting_started };
      if (role) {
        if (!isAdmin(req)) throw badParameters('Only sys_admin may change a role');
        changes.systemRoleId = await roleId(db, role, 'system_role');
      }
      if (password) changes.passwordHash = await hashPassword(password);
      await updateUser(db, username, changes);
      return userView(db, ctx.authenticator, username);
    },
  );
}

function registerAdministration(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.post(
    '/users/unlock/:username',
    {
      config: { permission: 'user_unlock' },
      schema: { params: UsernameParam, response: { 200: UserBody, ...errorResponses } },
    },
    async (req) => {
      const { username } = req.params;
      await getUser(db, username);
      await unlockUser(db, username);
      ctx.authenticator.unlock(username);
      return userView(db, ctx.authenticator, username);
    },
  );

  app.post(
    '/users/active/:username',
    {
      config: { permission: 'user_update' },
      schema: { params: UsernameParam, body: ActivationBody, response: { 200: UserBody, ...errorResponses } },
    },
    async (req) => {
      const { username } = req.params;
      const { action } = req.body;
      await getUser(db, username);
      if (username === 'admin' && action === 'deactivate')
        throw badParameters('The bootstrap admin cannot be deactivated');
      await setUserActive(db, username, action === 'activate');
      return userView(db, ctx.authenticator, username);
    },
  );
}
