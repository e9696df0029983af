import type { Tenant } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import type { Column } from '../../output.js';
import type { Action, ListOpts } from '../shared.js';
import { listParams } from '../shared.js';

const names = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v) : v);
const COLUMNS: Column[] = [
  { key: 'name' },
  { key: 'groups', get: (t: Tenant) => names(t.groups) },
  { key: 'users', get: (t: Tenant) => names(t.users) },
];

export const actions: Record<string, Action> = {
  async create(c: Ctx, _o: unknown, name: string) {
    await c.client().tenants.create(name);
    c.out.info(`Tenant \`${name}\` created`);
  },
  async list(c: Ctx, o: ListOpts & { getData?: boolean }) {
    c.out.info('Listing all tenants...');
    const r = await c.client().tenants.list(listParams(o, { _get_data: o.getData ? 'true' : undefined }));
    c.out.table('Tenants:', COLUMNS, r.items, { total: r.metadata.pagination.total, what: 'tenants' });
  },
  async get(c: Ctx, o: { getData?: boolean }, name: string) {
    c.out.info(`Getting info for tenant \`${name}\`...`);
    c.out.single('Requested tenant info:', COLUMNS, await c.client().tenants.get(name, o.getData));
  },
  async delete(c: Ctx, _o: unknown, name: string) {
    await c.client().tenants.delete(name);
    c.out.info(`Tenant \`${name}\` deleted`);
  },
  async 'add-user'(c: Ctx, o: { tenantName: string; role: string }, user: string) {
    await c.client().tenants.addUser(user, o.tenantName, o.role);
    c.out.info(`User \`${user}\` added successfully to tenant \`${o.tenantName}\``);
  },
  async 'update-user'(c: Ctx, o: { tenantName: string; role: string }, user: string) {
    await c.client().tenants.updateUser(user, o.tenantName, o.role);
    c.out.info(`User \`${user}\` updated successfully in tenant \`${o.tenantName}\``);
  },
  async 'remove-user'(c: Ctx, o: { tenantName: string }, user: string) {
    await c.client().tenants.removeUser(user, o.tenantName);
    c.out.info(`User \`${user}\` removed successfully from tenant \`${o.tenantName}\``);
  },
};
