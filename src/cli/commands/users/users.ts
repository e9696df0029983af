import type { User } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import type { Column } from '../../output.js';
import type { Action, ListOpts } from '../shared.js';
import { listParams } from '../shared.js';

const COLUMNS: (string | Column)[] = [
  'username',
  'groups',
  { key: 'role', label: 'system wide role' },
  { key: 'group_system_roles', get: (u: User) => Object.keys(u.group_system_roles ?? {}) },
  'active',
  'last_login_at',
  'is_locked',
];
const names = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v) : v);
const withTenants = (on?: boolean): (string | Column)[] =>
  on ? [...COLUMNS, { key: 'tenants', get: (u: User) => names(u.tenants) }] : COLUMNS;

export const actions: Record<string, Action> = {
  async create(
    c: Ctx,
    o: { password: string; securityRole: string; tenantName?: string; userTenantRole?: string },
    name: string,
  ) {
    if (Boolean(o.tenantName) !== Boolean(o.userTenantRole))
      throw usageError('Give both -t/--tenant-name and -l/--user-tenant-role, or neither');
    const client = c.client({ save: true });
    await client.users.create(name, o.password, o.securityRole);
    c.out.info(`User \`${name}\` created with \`${o.securityRole}\` security role`);
    if (o.tenantName) {
      await client.tenants.addUser(name, o.tenantName, o.userTenantRole!);
      c.out.info(
        `User \`${name}\` added successfully to tenant \`${o.tenantName}\` with \`${o.userTenantRole}\` role`,
      );
    }
  },
  async list(c: Ctx, o: ListOpts & { getData?: boolean }) {
    c.out.info('Listing all users...');
    const r = await c.client().users.list(listParams(o, { _get_data: o.getData ? 'true' : undefined }));
    c.out.table('Users:', withTenants(o.getData), r.items, {
      total: r.metadata.pagination.total,
      what: 'users',
    });
  },
  async get(c: Ctx, o: { getData?: boolean }, name?: string) {
    const client = c.client();
    c.out.info(`Getting info for user \`${name ?? 'the current user'}\`...`);
    const u = name ? await client.users.get(name, o.getData) : await client.users.self(o.getData);
    c.out.single('Requested user info:', withTenants(o.getData), u);
  },
  async 'set-password'(c: Ctx, o: { password: string }, name: string) {
    await c.client().users.setPassword(name, o.password);
    c.out.info(`New password set for user ${name}`);
  },
  async 'set-role'(c: Ctx, o: { securityRole: string }, name: string) {
    await c.client().users.setRole(name, o.securityRole);
    c.out.info(`New role \`${o.securityRole}\` set to user ${name}`);
  },
  async activate(c: Ctx, _o: unknown, name: string) {
    await c.client().users.activate(name, true);
    c.out.info(`User ${name} activated`);
  },
  async deactivate(c: Ctx, _o: unknown, name: string) {
    await c.client().users.activate(name, false);
    c.out.info(`User ${name} deactivated`);
  },
  async unlock(c: Ctx, _o: unknown, name: string) {
    await c.client().users.unlock(name);
    c.out.info(`User ${name} unlocked`);
  },
  async delete(c: Ctx, _o: unknown, name: string) {
    await c.client().users.delete(name);
    c.out.info(`User removed`);
  },
};
