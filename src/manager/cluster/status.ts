// GET /cluster-status (rest-api.md §4.2). With config.prometheus the manager asks its local Prometheus,
// as Cloudify does (status-prometheus.ts). Without it (the all-in-one embedded default, or `serve` with
// no --prometheus-url) the answering manager checks the nodes itself and says so in each node's
// services: a manager is OK when its last_seen is recent (the answering manager always is), a database
// or broker node is OK when its port accepts a TCP connection (the database we are connected to always
// is). The roll-up rules are the same either way (report.ts).
import { Socket } from 'node:net';
import { bounded } from '../../common/bounded.js';
import type { Db } from '../../store/port.js';
import { brokerHosts, dbNodeHosts, managerHealth, touchManager } from '../../store/repositories/managers.js';
import { parseDbUrl } from '../../store/server.js';
import type { ManagerConfig } from '../config.js';
import { PROMETHEUS_TIMEOUT_MS, queryPrometheus, shownUrl } from './prometheus-query.js';
import { type ClusterNode, type ClusterReport, clusterReport, serviceReport } from './report.js';
import { CLUSTER_QUERY, prometheusReport } from './status-prometheus.js';

export type { ClusterNode, ClusterReport, ClusterStatus, NodeStatus, ServiceReport } from './report.js';
export { overallStatus, typeStatus } from './report.js';

export interface ClusterStatusOptions {
  /** A manager seen longer ago than this is Fail. @default 60 s, or 3× its status_report_frequency */
  staleAfterMs?: number;
  /** TCP probe timeout for db and broker nodes. @default 1000 */
  probeTimeoutMs?: number;
  /** Bound on the Prometheus query. @default 4000 (Cloudify's monitoring_timeout) */
  prometheusTimeoutMs?: number;
  /** Told when Prometheus could not be queried (the report carries it in each node's failures). */
  onPrometheusError?: (message: string) => void;
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

/** A node the answering manager checked itself; `how` says with what. */
function selfChecked(
  o: { ip: string; publicIp: string | null; version: string | null; failure: string | null },
  service: string,
  checkedBy: string,
  how: string,
): ClusterNode {
  const failed = Boolean(o.failure);
  return {
    private_ip: o.ip,
    public_ip: o.publicIp,
    version: o.version,
    status: failed ? 'Fail' : 'OK',
    failures: o.failure ? [o.failure] : [],
    services: {
      [service]: {
        status: failed ? 'Inactive' : 'Active',
        extra_info: {
          self_check: {
            checked_by: checkedBy,
            check: how,
            note: 'No Prometheus is configured: the answering manager checked this node itself.',
          },
        },
      },
    },
    metrics: [],
  };
}

async function managerNodes(db: Db, config: ManagerConfig, opts: ClusterStatusOptions) {
  // The answering manager is alive: refresh its own row first (bounded: no leader must not hold the answer).
  await bounded(touchManager(db, config.hostname));
  const managers = await managerHealth(db);
  return managers.map((m): [string, ClusterNode] => {
    const stale =
      opts.staleAfterMs ?? (m.status_report_frequency ? m.status_report_frequency * 3000 : 60_000);
    const age = Number(m.age_ms);
    const self = m.hostname === config.hostname;
    const failure =
      !self && age > stale
        ? `Manager not seen for ${Math.round(age / 1000)} s (limit ${Math.round(stale / 1000)} s).`
        : null;
    const how = self
      ? 'this manager answered the request'
      : `last_seen ${Math.round(age / 1000)} s ago (limit ${Math.round(stale / 1000)} s)`;
    const node = { ip: m.private_ip, publicIp: m.public_ip, version: m.version, failure };
    return [m.hostname, selfChecked(node, 'Manager REST', config.hostname, how)];
  });
}

async function localReport(
  db: Db,
  config: ManagerConfig,
  opts: ClusterStatusOptions,
): Promise<ClusterReport> {
  const probeMs = opts.probeTimeoutMs ?? 1000;
  const managers = await managerNodes(db, config, opts);
  const version = managers[0]?.[1].version ?? null;
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
      const how = connectedSingle
        ? 'the database this manager is connected to'
        : `TCP connect to ${d.host}:${port}`;
      const node = { ip: d.host, publicIp: null, version, failure };
      return [d.name, selfChecked(node, 'PostgreSQL database server', config.hostname, how)];
    }),
  );
  const brokerRows = await brokerHosts(db);
  const brokerNodes = await Promise.all(
    brokerRows.map(async (b): Promise<[string, ClusterNode]> => {
      const port = b.port ?? 5671;
      // The embedded default's own broker row (registerOwnServices) is this process's in-process bus.
      const inProcess = !config.amqpUrl && b.name === config.hostname;
      const err = inProcess ? null : await tcpProbe(b.host, port, probeMs);
      const failure = err ? `Service RabbitMQ not active on ${b.host}:${port}: ${err}.` : null;
      const node = { ip: b.host, publicIp: null, version, failure };
      const how = inProcess
        ? 'the in-process message bus of this manager'
        : `TCP connect to ${b.host}:${port}`;
      return [b.name, selfChecked(node, 'RabbitMQ Broker', config.hostname, how)];
    }),
  );
  return clusterReport({
    broker: serviceReport(
      'broker',
      brokerNodes,
      brokerRows.some((b) => b.is_external),
    ),
    db: serviceReport(
      'db',
      dbNodes,
      dbRows.some((d) => d.is_external),
    ),
    manager: serviceReport('manager', managers, false),
  });
}

async function fromPrometheus(
  db: Db,
  config: ManagerConfig,
  opts: ClusterStatusOptions,
): Promise<ClusterReport> {
  const p = config.prometheus!;
  await bounded(touchManager(db, config.hostname));
  const [managers, dbs, brokers, answer] = await Promise.all([
    managerHealth(db),
    dbNodeHosts(db),
    brokerHosts(db),
    queryPrometheus(p, CLUSTER_QUERY, opts.prometheusTimeoutMs ?? PROMETHEUS_TIMEOUT_MS),
  ]);
  if (!answer.ok) opts.onPrometheusError?.(`Could not query Prometheus at ${shownUrl(p)}: ${answer.error}`);
  // As Cloudify, an empty answer is logged: every node will be Fail with "No services." and "No metrics".
  else if (answer.result.length === 0)
    opts.onPrometheusError?.(
      `Prometheus at ${shownUrl(p)} has no series for the cluster query: check that its recording rules (manager_healthy, postgres_service, …) are loaded`,
    );
  // The embedded database and the in-process bus of this manager (its own rows) are inside this
  // process: no exporter watches them, so they are left out rather than reported Fail.
  const own = (name: string, url: string | undefined) => !url && name === config.hostname;
  return prometheusReport(
    {
      managers,
      dbs: dbs.filter((d) => !own(d.name, config.dbUrl)),
      brokers: brokers.filter((b) => !own(b.name, config.amqpUrl)),
    },
    answer,
    shownUrl(p),
  );
}

export function clusterStatus(
  db: Db,
  config: ManagerConfig,
  opts: ClusterStatusOptions = {},
): Promise<ClusterReport> {
  return config.prometheus ? fromPrometheus(db, config, opts) : localReport(db, config, opts);
}
