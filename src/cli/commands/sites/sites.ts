// `cfy sites`: /sites with 5.1's columns and lines.
import type { SiteChange, Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { type Action, type ListOpts, listParams } from '../shared.js';

const COLUMNS = ['name', 'location', 'visibility', 'tenant_name', 'created_at', 'created_by'];
type Opts = { tenantName?: string; location?: string; visibility?: Visibility; newName?: string };

export const actions: Record<string, Action> = {
  async create(c: Ctx, o: Opts, name: string) {
    const json: SiteChange = { visibility: o.visibility };
    if (o.location !== undefined) json.location = o.location;
    await c.client({ tenant: o.tenantName }).sites.create(name, json);
    c.out.info(`Site \`${name}\` created`);
  },
  async get(c: Ctx, o: Opts, name: string) {
    c.out.info(`Getting info for site \`${name}\`...`);
    c.out.single('Requested site info:', COLUMNS, await c.client({ tenant: o.tenantName }).sites.get(name));
  },
  async update(c: Ctx, o: Opts, name: string) {
    const json: SiteChange = {};
    if (o.location !== undefined) json.location = o.location;
    if (o.visibility) json.visibility = o.visibility;
    if (o.newName) json.new_name = o.newName;
    if (Object.keys(json).length === 0)
      throw usageError('Nothing to update', 'give --location, -l/--visibility or -n/--new-name');
    await c.client({ tenant: o.tenantName }).sites.update(name, json);
    c.out.info(`Site \`${name}\` updated`);
  },
  async list(c: Ctx, o: ListOpts) {
    c.out.info('Listing all sites...');
    const r = await c.client({ tenant: o.tenantName }).sites.list(listParams(o));
    c.out.table('Sites:', COLUMNS, r.items, { total: r.metadata.pagination.total, what: 'sites' });
  },
  async delete(c: Ctx, o: Opts, name: string) {
    c.out.info(`Deleting site \`${name}\`...`);
    await c.client({ tenant: o.tenantName }).sites.delete(name);
    c.out.info('Site deleted');
  },
};
