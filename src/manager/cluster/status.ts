// A best-effort GET /cluster-status (rest-api.md §4.2) without Prometheus: the node inventory comes
// from `managers`, `db_nodes` and `rabbitmq_brokers`; a manager is OK when its last_seen is recent (the
// answering manager always is), a database or broker node is OK when its port accepts a TCP connection
// (the database we are connected to always is). Per type: all OK → OK, healthy ≥ quorum → Degraded,
// else Fail; quorum is 1 for managers and n//2+1 for db and broker. Overall: worst of the three.
import { Socket } from 'node:net';
import type { Db } from '../../store/port.js';
import { brokerHosts, dbNodeHosts, managerHealth, touchManager } from '../../store/repositories/managers.js';
import { parseDbUrl } from '../../store/server.js';
import type { ManagerConfig } from '../config.js';

export type NodeStatus = 'OK' | 'Fail';
export type ClusterStatus = 'OK' | 'Degraded' | 'Fail';

export interface ClusterNode {
  private_ip: string;
  public_ip: string | null;
  version: string | null;
  status: NodeStatus;
  failures: string[];
  services: Record<string, { status: 'Active' | 'Inactive'; extra_info: Record<string, unknown> }>;
  metrics: { last_check: string; healthy: boolean; metric_type: string; metric_name: string }[];
}

export type ServiceReport =
  | { is_external: true; status: 'OK' }
  | { is_external: false; status: ClusterStatus; nodes: Record<string, ClusterNode> };

export interface ClusterReport {
  status: ClusterStatus;
  services: { broker: ServiceReport; db: ServiceReport; manager: ServiceReport };
}

export interface ClusterStatusOptions {
  /** A manager seen longer ago than this is Fail. @default 60 s, or 3× its status_report_frequency */
  staleAfterMs?: number;
  /** TCP probe timeout for db and broker nodes. @default 1000 */
  probeTimeoutMs?: number;
}

/** Does host:port accept a TCP connection within the timeout? */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (err: string | null) => {
      s.destroy();
      resolve(err);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once('error', (e) => done(e.message));
    s.connect(port, host, () => done(null));
  });
}

export function typeStatus(nodes: ClusterNode[], quorum: number): ClusterStatus {
  const healthy = nodes.filter((n) => n.status === 'OK').length;
  if (healthy === nodes.length) return 'OK';
  return healthy >= quorum ? 'Degraded' : 'Fail';
}

export function overallStatus(statuses: ClusterStatus[]): ClusterStatus {
  if (statuses.includes('Fail')) return 'Fail';
  return statuses.includes('Degraded') ? 'Degraded' : 'OK';
}

function report(
  nodes: [string, ClusterNode][],
  quorum: (n: number) => number,
  allExternal: boolean,
): ServiceReport {
  if (allExternal) return { is_external: true, status: 'OK' };
  return {
    is_external: false,
    status: typeStatus(
      nodes.map(([, n]) => n),
      quorum(nodes.length),
    ),
    nodes: Object.fromEntries(nodes),
  };
}

const node = (
  private_ip: string,
  public_ip: string | null,
  version: string | null,
  failure: string | null,
  service: string,
): ClusterNode => ({
  private_ip,
  public_ip,
  version,
  status: failure ? 'Fail' : 'OK',
  failures: failure ? [failure] : [],
  services: { [service]: { status: failure ? 'Inactive' : 'Active', extra_info: {} } },
  metrics: [],
});

export async function clusterStatus(
  db: Db,
  config: ManagerConfig,
  opts: ClusterStatusOptions = {},
): Promise<ClusterReport> {
  const probeMs = opts.probeTimeoutMs ?? 1000;
  // The answering manager is alive: refresh its own row first.
  await touchManager(db, config.hostname);
  const managers = await managerHealth(db);
  const version = managers[0]?.version ?? null;
  const managerNodes = managers.map((m): [string, ClusterNode] => {
    const stale =
      opts.staleAfterMs ?? (m.status_report_frequency ? m.status_report_frequency * 3000 : 60_000);
    const age = Number(m.age_ms);
    const failure =
      m.hostname !== config.hostname && age > stale
        ? `Manager not seen for ${Math.round(age / 1000)} s (limit ${Math.round(stale / 1000)} s).`
        : null;
    return [m.hostname, node(m.private_ip, m.public_ip, m.version, failure, 'Manager Rest-Service')];
  });

  const dbRows = await dbNodeHosts(db);
  const dbPorts = new Map<string, number>();
  if (config.dbUrl) {
    try {
      for (const h of parseDbUrl(config.dbUrl).hosts) dbPorts.set(h.host, h.port);
    } catch {
      // An unparsable URL could not have connected; probe the default port.
    }
  }
  const connectedSingle = dbRows.length === 1;
  const dbNodes = await Promise.all(
    dbRows.map(async (d): Promise<[string, ClusterNode]> => {
      const port = dbPorts.get(d.host) ?? 5432;
      const err = connectedSingle ? null : await tcpProbe(d.host, port, probeMs);
      const failure = err ? `Service PostgreSQL not active on ${d.host}:${port}: ${err}.` : null;
      return [d.name, node(d.host, null, version, failure, 'PostgreSQL')];
    }),
  );

  const brokerRows = await brokerHosts(db);
  const brokerNodes = await Promise.all(
    brokerRows.map(async (b): Promise<[string, ClusterNode]> => {
      const port = b.port ?? 5671;
      const err = await tcpProbe(b.host, port, probeMs);
      const failure = err ? `Service RabbitMQ not active on ${b.host}:${port}: ${err}.` : null;
      return [b.name, node(b.host, null, version, failure, 'RabbitMQ')];
    }),
  );

  const majority = (n: number) => Math.floor(n / 2) + 1;
  const services = {
    broker: report(brokerNodes, majority, brokerRows.length > 0 && brokerRows.every((b) => b.is_external)),
    db: report(dbNodes, majority, dbRows.length > 0 && dbRows.every((d) => d.is_external)),
    manager: report(managerNodes, () => 1, false),
  };
  return {
    status: overallStatus(Object.values(services).map((s) => s.status)),
    services,
  };
}
