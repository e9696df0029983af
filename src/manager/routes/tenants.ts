// Tenants and their members (rest-api.md §1.2, §2.3).
import { Type } from 'typebox';
import type { Db } from '../../store/port.js';
import {
  createTenant,
  deleteEmptyTenant,
  findTenant,
  removeMembership,
  setMembership,
  tenantMembers,
  tenantNames,
} from '../../store/repositories/tenants.js';
import { findUserId } from '../../store/repositories/users.js';
import { type Api, isAdmin, type ManagerContext } from '../context.js';
import { badParameters, conflict, notFoundResource } from '../../common/errors.js';
import { errorResponses, GetData, listOf } from '../schemas/common.js';
import { MembershipBody, TenantBody, TenantNameParam } from '../schemas/users.js';
import { roleId } from './users.js';

const VALID_NAME = /^[A-Za-z0-9][\w.-]{0,255}$/;

/** Tenant `name` with its members (counts unless `getData`, as 5.1), or 404 Tenant. */
async function tenantView(db: Db, name: string, getData = true) {
  const t = await findTenant(db, name);
  if (!t) throw notFoundResource('Tenant', name);
  const users = await tenantMembers(db, t.id);
  if (!getData) return { id: t.id, name: t.name, users: users.length, groups: 0 };
  return {
    id: t.id,
    name: t.name,
    users: Object.fromEntries(users.map((u) => [u.username, { 'tenant-role': u.role, roles: [u.role] }])),
    groups: {},
    user_roles: { direct: Object.fromEntries(users.map((u) => [u.username, u.role])), groups: {} },
  };
}

/** The ids of the membership's tenant and user, or 404 for either. */
async function membership(db: Db, body: { tenant_name: string; username: string }) {
  const t = await tenantView(db, body.tenant_name);
  const userId = await findUserId(db, body.username);
  if (userId === undefined) throw notFoundResource('User', body.username);
  return { tenantId: t.id, userId };
}

export async function registerTenantRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerTenants(app, ctx);
  registerMembers(app, ctx);
}

function registerTenants(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.get(
    '/tenants',
    {
      config: { permission: 'tenant_list' },
      schema: { summary: 'List tenants', querystring: GetData, response: { 200: listOf(TenantBody) } },
    },
    async (req) => {
      const names = await tenantNames(db, isAdmin(req) ? undefined : req.auth.user.id);
      const items = await Promise.all(names.map((n) => tenantView(db, n, req.query._get_data ?? false)));
      return {
        items,
        metadata: { pagination: { total: items.length, size: items.length, offset: 0 }, filtered: null },
      };
    },
  );

  app.get(
    '/tenants/:name',
    {
      config: { permission: 'tenant_get' },
      schema: {
        params: TenantNameParam,
        querystring: GetData,
        response: { 200: TenantBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      if (!isAdmin(req) && req.auth.tenant?.name !== name) throw notFoundResource('Tenant', name);
      return tenantView(db, name, req.query._get_data ?? false);
    },
  );

  app.post(
    '/tenants/:name',
    {
      config: { permission: 'tenant_create' },
      schema: { params: TenantNameParam, response: { 201: TenantBody, ...errorResponses } },
    },
    async (req, reply) => {
      const { name } = req.params;
      if (!VALID_NAME.test(name))
        throw badParameters(`Invalid tenant name "${name}": use letters, digits, '-', '_' or '.'`);
      if (!(await createTenant(db, name))) throw conflict(`Tenant \`${name}\` already exists`);
      return reply.code(201).send(await tenantView(db, name));
    },
  );

  app.delete(
    '/tenants/:name',
    {
      config: { permission: 'tenant_delete' },
      schema: { params: TenantNameParam, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      const { name } = req.params;
      const t = await tenantView(db, name);
      if (name === 'default_tenant') throw badParameters('The default tenant cannot be deleted');
      if (!(await deleteEmptyTenant(db, t.id)))
        throw badParameters(`Tenant \`${name}\` still holds resources: delete them first`);
      return reply.code(204).send(null);
    },
  );
}

function registerMembers(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/tenants/users',
      config: { permission: 'tenant_add_user' },
      schema: {
        summary: 'Add a user to a tenant, or change their role',
        body: MembershipBody,
        response: { 200: TenantBody, ...errorResponses },
      },
      handler: async (req) => {
        const { tenantId, userId } = await membership(db, req.body);
        await setMembership(db, userId, tenantId, await roleId(db, req.body.role ?? 'user', 'tenant_role'));
        return tenantView(db, req.body.tenant_name);
      },
    });
  }
  app.delete(
    '/tenants/users',
    {
      config: { permission: 'tenant_add_user' },
      schema: { body: MembershipBody, response: { 200: TenantBody, ...errorResponses } },
    },
    async (req) => {
      const { tenantId, userId } = await membership(db, req.body);
      await removeMembership(db, userId, tenantId);
      return tenantView(db, req.body.tenant_name);
    },
  );
}
