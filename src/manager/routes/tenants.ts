// Tenants and their members (rest-api.md §1.2, §2.3).
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';
import { badParameters, conflict, notFoundResource } from '../../common/errors.js';
import { Any, errorResponses, Int, listOf, resource, Str } from '../schemas/common.js';
import { roleId } from './users.js';

const TenantBody = resource({ id: Int, name: Str, users: Any, user_groups: Any });
const VALID_NAME = /^[A-Za-z0-9][\w.-]{0,255}$/;

export async function registerTenantRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db } = ctx;
  const view = async (name: string) => {
    const rows = await db.query<{ id: number; name: string }>(
      'SELECT id, name FROM tenants WHERE name = $1',
      [name],
    );
    if (rows.length === 0) throw notFoundResource('Tenant', name);
    const users = await db.query<{ username: string; role: string }>(
      'SELECT u.username, r.name AS role FROM users_tenants ut JOIN users u ON u.id = ut.user_id JOIN roles r ON r.id = ut.role_id WHERE ut.tenant_id = $1 ORDER BY u.username',
      [rows[0].id],
    );
    return {
      id: rows[0].id,
      name: rows[0].name,
      users: Object.fromEntries(users.map((u) => [u.username, { 'tenant-role': u.role, roles: [u.role] }])),
      user_groups: {},
    };
  };

  app.get(
    '/tenants',
    {
      config: { permission: 'tenant_list' },
      schema: { summary: 'List tenants', response: { 200: listOf(TenantBody) } },
    },
    async (req) => {
      const admin = req.auth.roles.includes('sys_admin');
      const names = await db.query<{ name: string }>(
        admin
          ? 'SELECT name FROM tenants ORDER BY id'
          : 'SELECT t.name FROM tenants t JOIN users_tenants ut ON ut.tenant_id = t.id WHERE ut.user_id = $1 ORDER BY t.id',
        admin ? [] : [req.auth.user.id],
      );
      const items = await Promise.all(names.map((n) => view(n.name)));
      return {
        items,
        metadata: { pagination: { total: items.length, size: items.length, offset: 0 }, filtered: null },
      };
    },
  );

  const NameParam = Type.Object({ name: Str });
  app.get(
    '/tenants/:name',
    {
      config: { permission: 'tenant_get' },
      schema: { params: NameParam, response: { 200: TenantBody, ...errorResponses } },
    },
    async (req) => {
      const { name } = req.params as { name: string };
      const admin = req.auth.roles.includes('sys_admin');
      if (!admin && req.auth.tenant?.name !== name) throw notFoundResource('Tenant', name);
      return view(name);
    },
  );

  app.post(
    '/tenants/:name',
    {
      config: { permission: 'tenant_create' },
      schema: { params: NameParam, response: { 201: TenantBody, ...errorResponses } },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      if (!VALID_NAME.test(name))
        throw badParameters(`Invalid tenant name "${name}": use letters, digits, '-', '_' or '.'`);
      const exists = await db.query('SELECT 1 FROM tenants WHERE name = $1', [name]);
      if (exists.length) throw conflict(`Tenant \`${name}\` already exists`);
      await db.query('INSERT INTO tenants (name, rabbitmq_vhost, rabbitmq_username) VALUES ($1, $2, $3)', [
        name,
        `rabbitmq_vhost_${name}`,
        `rabbitmq_user_${name}`,
      ]);
      return reply.code(201).send(await view(name));
    },
  );

  app.delete(
    '/tenants/:name',
    {
      config: { permission: 'tenant_delete' },
      schema: { params: NameParam, response: { ...errorResponses } },
    },
    async (req, reply) => {
      const { name } = req.params as { name: string };
      const t = await view(name);
      if (name === 'default_tenant') throw badParameters('The default tenant cannot be deleted');
      const used = await db.query(
        'SELECT 1 FROM blueprints WHERE _tenant_id = $1 UNION ALL SELECT 1 FROM secrets WHERE _tenant_id = $1 LIMIT 1',
        [t.id],
      );
      if (used.length) throw badParameters(`Tenant \`${name}\` still holds resources: delete them first`);
      await db.query('DELETE FROM tenants WHERE id = $1', [t.id]);
      return reply.code(204).send();
    },
  );

  const Membership = Type.Object(
    { tenant_name: Str, username: Str, role: Type.Optional(Str) },
    { additionalProperties: false },
  );
  const member = async (body: { tenant_name: string; username: string }) => {
    const t = await view(body.tenant_name);
    const u = await db.query<{ id: number }>('SELECT id FROM users WHERE username = $1', [body.username]);
    if (u.length === 0) throw notFoundResource('User', body.username);
    return { tenantId: t.id, userId: u[0].id };
  };
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/tenants/users',
      config: { permission: 'tenant_add_user' },
      schema: {
        summary: 'Add a user to a tenant, or change their role',
        body: Membership,
        response: { 200: TenantBody, ...errorResponses },
      },
      handler: async (req) => {
        const body = req.body as { tenant_name: string; username: string; role?: string };
        const { tenantId, userId } = await member(body);
        const rid = await roleId(db, body.role ?? 'user', 'tenant_role');
        await db.query(
          'INSERT INTO users_tenants (user_id, tenant_id, role_id) VALUES ($1, $2, $3) ON CONFLICT (user_id, tenant_id) DO UPDATE SET role_id = excluded.role_id',
          [userId, tenantId, rid],
        );
        return view(body.tenant_name);
      },
    });
  }
  app.delete(
    '/tenants/users',
    {
      config: { permission: 'tenant_add_user' },
      schema: { body: Membership, response: { 200: TenantBody, ...errorResponses } },
    },
    async (req) => {
      const body = req.body as { tenant_name: string; username: string };
      const { tenantId, userId } = await member(body);
      await db.query('DELETE FROM users_tenants WHERE user_id = $1 AND tenant_id = $2', [userId, tenantId]);
      return view(body.tenant_name);
    },
  );
}
