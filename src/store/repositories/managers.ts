// The cluster registry: managers, RabbitMQ brokers and database nodes, with their list field maps.
// Each manager upserts its own row at start and keeps its last_seen fresh (manager/cluster/heartbeat.ts).
import type { Db } from '../port.js';
import { json, ts } from './common.js';
import type { ResourceDef } from './list.js';

const CA = 'LEFT JOIN certificates c ON c.id = t._ca_cert_id';

export const MANAGERS: ResourceDef = {
  kind: 'Manager',
  from: `managers t ${CA}`,
  tenantScoped: false,
  orderBy: 't.id',
  search: 't.hostname',
  fields: {
    id: { sql: 't.id' },
    hostname: { sql: 't.hostname' },
    private_ip: { sql: 't.private_ip' },
    public_ip: { sql: 't.public_ip' },
    version: { sql: 't.version' },
    edition: { sql: 't.edition' },
    distribution: { sql: 't.distribution' },
    distro_release: { sql: 't.distro_release' },
    fs_sync_node_id: { sql: 't.fs_sync_node_id' },
    networks: json('t.networks'),
    last_seen: { sql: ts('t.last_seen') },
    status_report_frequency: { sql: 't.status_report_frequency' },
    ca_cert_content: { sql: 'c.value', filter: false },
  },
};

export const BROKERS: ResourceDef = {
  kind: 'RabbitMQBroker',
  from: `rabbitmq_brokers t ${CA}`,
  tenantScoped: false,
  orderBy: 't.name',
  search: 't.name',
  fields: {
    name: { sql: 't.name' },
    host: { sql: 't.host' },
    management_host: { sql: 't.management_host' },
    port: { sql: 't.port' },
    username: { sql: 't.username', filter: false },
    password: { sql: 't.password', filter: false },
    params: json('t.params'),
    networks: json('t.networks'),
    is_external: { sql: 't.is_external' },
    ca_cert_content: { sql: 'c.value', filter: false },
  },
};

export const DB_NODES: ResourceDef = {
  kind: 'DBNode',
  from: 'db_nodes t',
  tenantScoped: false,
  orderBy: 't.name',
  search: 't.name',
  fields: {
    name: { sql: 't.name' },
    node_id: { sql: 't.name' },
    host: { sql: 't.host' },
    is_external: { sql: 't.is_external' },
  },
};

export interface ManagerRegistration {
  hostname: string;
  privateIp: string;
  publicIp: string;
  version: string;
  edition: string;
  distribution: string;
  distroRelease: string;
  networks: Record<string, string>;
}

/** Inserts this manager's row, or refreshes its addresses, version and last_seen (networks the installer
 * registered, e.g. load-balancer, are kept). */
export async function upsertManager(db: Db, m: ManagerRegistration): Promise<void> {
  await db.query(
    `INSERT INTO managers (hostname, private_ip, public_ip, version, edition, distribution, distro_release, networks, last_seen)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, now())
     ON CONFLICT (hostname) DO UPDATE SET private_ip = excluded.private_ip, public_ip = excluded.public_ip,
       version = excluded.version, networks = managers.networks || excluded.networks, last_seen = now()`,
    [
      m.hostname,
      m.privateIp,
      m.publicIp,
      m.version,
      m.edition,
      m.distribution,
      m.distroRelease,
      JSON.stringify(m.networks),
    ],
  );
}

/** The manager `hostname` is alive now. */
export async function touchManager(db: Db, hostname: string): Promise<void> {
  await db.query('UPDATE managers SET last_seen = now() WHERE hostname = $1', [hostname]);
}

export interface ManagerHealthRow {
  hostname: string;
  private_ip: string;
  public_ip: string;
  version: string;
  /** Milliseconds since last_seen. */
  age_ms: number;
  status_report_frequency: number | null;
}

/** Every manager with how long ago it was last seen, oldest registration first. */
export function managerHealth(db: Db): Promise<ManagerHealthRow[]> {
  return db.query<ManagerHealthRow>(
    `SELECT hostname, private_ip, public_ip, version, status_report_frequency,
       (extract(epoch FROM (now() - last_seen)) * 1000)::float8 AS age_ms
     FROM managers ORDER BY id`,
  );
}

export function dbNodeHosts(db: Db): Promise<{ name: string; host: string; is_external: boolean }[]> {
  return db.query('SELECT name, host, is_external FROM db_nodes ORDER BY name');
}

export function brokerHosts(
  db: Db,
): Promise<{ name: string; host: string; port: number | null; is_external: boolean }[]> {
  return db.query('SELECT name, host, port, is_external FROM rabbitmq_brokers ORDER BY name');
}

/** Throws unless the database answers a trivial query (the load balancers' health probe). */
export async function pingDatabase(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
