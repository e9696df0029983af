// The per-role node lists: `cluster managers|brokers|db-nodes list`.
import { Ctx } from '../../context.js';
import { BROKER_COLUMNS } from './brokers.js';

const MANAGER_COLUMNS = [
  'hostname',
  'private_ip',
  'public_ip',
  'version',
  'edition',
  'distribution',
  'distro_release',
  'last_seen',
  'networks',
];
const DB_COLUMNS = ['name', 'host', 'is_external'];

const networks = (r: Record<string, unknown>) => ({
  ...r,
  networks: r.networks && typeof r.networks === 'object' ? Object.keys(r.networks as object) : r.networks,
});

export const listers = {
  managers: async (c: Ctx) => {
    const client = c.client();
    const r = await client.manager.managers();
    c.out.info(`Retrieving managers list... [ip=${Ctx.ipOf(client)}]`);
    c.out.table('HA Cluster manager nodes', MANAGER_COLUMNS, r.items.map(networks), {
      total: r.metadata.pagination.total,
      what: 'managers',
    });
  },
  brokers: async (c: Ctx) => {
    const client = c.client();
    const r = await client.manager.brokers();
    c.out.table('HA Cluster brokers', BROKER_COLUMNS, r.items.map(networks), {
      total: r.metadata.pagination.total,
      what: 'brokers',
    });
  },
  'db-nodes': async (c: Ctx) => {
    const client = c.client();
    const r = await client.manager.dbNodes();
    c.out.table('HA Cluster db nodes', DB_COLUMNS, r.items, {
      total: r.metadata.pagination.total,
      what: 'db nodes',
    });
  },
};
