// GET /cluster-status from the manager's local Prometheus, as Cloudify 5.1 computes it
// (cluster_status_manager.py): one query for the recording rules of the installer (cfy_manager.md §7.4),
// each series attached to a node by its `host` label (the node's private IP); series with a
// `process_manager` label are supervisord/systemd units (a node's `services`, only those expected for
// its type), the others are health metrics (`metrics`, typed by their job). A node is OK when it has
// services and metrics and all of them are active/healthy; the reasons otherwise are in `failures`
// (the texts Cloudify added in 6.4). Nodes are keyed by private IP: a host with several roles is one
// node, named after its first registration (managers, then db nodes, then brokers).
import type { ManagerHealthRow } from '../../store/repositories/managers.js';
import type { PromAnswer, PromSeries } from './prometheus-query.js';
import {
  type ClusterNode,
  type ClusterReport,
  clusterReport,
  type NodeMetric,
  type NodeService,
  type NodeType,
  serviceReport,
} from './report.js';

export const CLUSTER_QUERY =
  '(postgres_healthy) or (postgres_service) or (rabbitmq_healthy) or (rabbitmq_service) or (manager_healthy) or (manager_service)';

/** unit → [display name, description]: Cloudify 5.1's units plus Stratus's `cloudify-postgresql`. */
const UNITS: Record<string, [string, string]> = {
  blackbox_exporter: ['Blackbox Exporter', 'Prometheus blackbox exporter (HTTP/HTTPS/TCP pings}'],
  'cloudify-amqp-postgres': ['AMQP-Postgres', 'AMQP PostgreSQL Broker service'],
  'cloudify-composer': ['Composer', 'Composer service'],
  'cloudify-mgmtworker': ['Management Worker', 'Management Worker service'],
  'cloudify-rabbitmq': ['RabbitMQ Broker', 'RabbitMQ Broker service'],
  'cloudify-restservice': ['Manager REST', 'REST API service'],
  'cloudify-stage': ['Management Console', 'Management Console service'],
  'cloudify-syncthing': ['Syncthing', 'Syncthing service'],
  etcd: ['Etcd key-value store', 'Etcd distributed key-value store service'],
  haproxy: ['HA Proxy', 'HAProxy Load Balancer service'],
  nginx: ['Webserver', 'nginx - high performance web server'],
  node_exporter: ['Node Exporter', 'Prometheus exporter for hardware and OS metrics'],
  patroni: ['Patroni HA Template', 'Patroni HA Template service'],
  'postgresql-9.5': ['PostgreSQL 9.5 database server', 'PostgreSQL 9.5 database server'],
  'cloudify-postgresql': ['PostgreSQL database server', 'PostgreSQL database server'],
  postgres_exporter: ['Prometheus exporter for PostgreSQL', 'Prometheus exporter for PostgreSQL service'],
  prometheus: ['Prometheus', 'Prometheus monitoring service'],
};

const EXPECTED: Record<NodeType, string[]> = {
  db: [
    'etcd',
    'nginx',
    'node_exporter',
    'patroni',
    'postgres_exporter',
    'postgresql-9.5',
    'cloudify-postgresql',
    'prometheus',
  ],
  broker: ['cloudify-rabbitmq', 'nginx', 'node_exporter', 'prometheus'],
  manager: [
    'blackbox_exporter',
    'cloudify-amqp-postgres',
    'cloudify-composer',
    'cloudify-mgmtworker',
    'cloudify-restservice',
    'cloudify-stage',
    'cloudify-syncthing',
    'haproxy',
    'nginx',
    'node_exporter',
    'prometheus',
  ],
};

/** In a multi-node database Patroni runs PostgreSQL: its own unit would only report false failures. */
const PLAIN_POSTGRES = new Set(['PostgreSQL 9.5 database server', 'PostgreSQL database server']);

const unitId = (id: string) => (id.endsWith('.service') ? id.slice(0, -'.service'.length) : id);

interface ServiceEntry extends NodeService {
  unit: string;
}

export interface Inventory {
  managers: Pick<ManagerHealthRow, 'hostname' | 'private_ip' | 'public_ip' | 'version'>[];
  dbs: { name: string; host: string; is_external: boolean }[];
  brokers: { name: string; host: string; is_external: boolean }[];
}

interface Host {
  name: string;
  privateIp: string;
  publicIp: string | null;
  types: Set<NodeType>;
  external: Set<NodeType>;
  services: Map<string, ServiceEntry>;
  metrics: Record<NodeType, NodeMetric[]>;
}

function hostsOf(inv: Inventory): Map<string, Host> {
  const hosts = new Map<string, Host>();
  const add = (type: NodeType, name: string, ip: string, publicIp: string | null, external: boolean) => {
    let h = hosts.get(ip);
    if (!h) {
      h = {
        name,
        privateIp: ip,
        publicIp,
        types: new Set(),
        external: new Set(),
        services: new Map(),
        metrics: { manager: [], db: [], broker: [] },
      };
      hosts.set(ip, h);
    }
    (external ? h.external : h.types).add(type);
  };
  for (const m of inv.managers) add('manager', m.hostname, m.private_ip, m.public_ip, false);
  for (const d of inv.dbs) add('db', d.name, d.host, null, d.is_external);
  for (const b of inv.brokers) add('broker', b.name, b.host, null, b.is_external);
  return hosts;
}

/** Python's `datetime.strftime('%Y-%m-%dT%H:%M:%S.%fZ')` of a Prometheus timestamp (in UTC). */
function lastCheck(ts: number): string {
  if (!ts) return 'unknown';
  const us = Math.round(ts * 1e6);
  const secs = Math.floor(us / 1e6);
  const frac = String(us - secs * 1e6).padStart(6, '0');
  return `${new Date(secs * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

function addService(h: Host, m: Record<string, string>, healthy: boolean): void {
  const pm = m.process_manager!;
  const id = m.name ?? '';
  const desc = UNITS[unitId(id)];
  if (!desc) return; // only the units Cloudify knows
  const [display, description] = desc;
  const status = healthy ? 'Active' : 'Inactive';
  const instance = { Description: description, state: healthy ? 'running' : 'stopped', Id: id };
  const prev = h.services.get(display);
  if (!prev) {
    const extra_info = { [pm]: { instances: [instance], display_name: display, unit_id: id } };
    h.services.set(display, { status, extra_info, unit: unitId(id) });
    return;
  }
  // Any instance not active makes the service so; one instance per process manager is kept.
  if (prev.status === 'Active') prev.status = status;
  if (!(pm in prev.extra_info))
    prev.extra_info[pm] = { instances: [instance], display_name: display, unit_id: id };
}

function addMetric(h: Host, m: Record<string, string>, ts: number, healthy: boolean): void {
  const job = m.job ?? '';
  let type: NodeType = 'manager';
  let name = 'http endpoints';
  if (job.endsWith('postgresql')) [type, name] = ['db', job];
  else if (job.endsWith('rabbitmq')) [type, name] = ['broker', job];
  if (m.instance) name += ` (${m.instance})`;
  if (m.host) name += ` on ${m.host}`;
  h.metrics[type].push({
    last_check: lastCheck(ts),
    healthy,
    metric_type: m.__name__ ?? 'unknown',
    metric_name: name,
  });
}

function attach(hosts: Map<string, Host>, result: PromSeries[]): void {
  for (const s of result) {
    const m = s.metric ?? {};
    const h = m.host ? hosts.get(m.host) : undefined;
    if (!h) continue; // not a registered node
    const [ts, raw] = s.value ?? [0, ''];
    const n = Number(raw);
    const healthy = raw !== '' && Number.isFinite(n) && n !== 0;
    if (m.process_manager) addService(h, m, healthy);
    else addMetric(h, m, Number(ts), healthy);
  }
}

function nodeOf(
  h: Host,
  type: NodeType,
  version: string | null,
  count: number,
  preface: string[],
): ClusterNode {
  const services: Record<string, NodeService> = {};
  for (const [display, { unit, ...entry }] of h.services) {
    if (!EXPECTED[type].includes(unit)) continue;
    if (type === 'db' && count > 1 && PLAIN_POSTGRES.has(display)) continue;
    services[display] = entry;
  }
  const metrics = h.metrics[type];
  const failures = [...preface];
  if (Object.keys(services).length === 0) failures.push('No services.');
  if (metrics.length === 0) failures.push('No metrics');
  for (const [name, s] of Object.entries(services))
    if (s.status !== 'Active') failures.push(`Service ${name} not active.`);
  for (const m of metrics) if (!m.healthy) failures.push(`Metric ${m.metric_name} not healthy.`);
  return {
    private_ip: h.privateIp,
    public_ip: h.publicIp,
    version,
    services,
    metrics,
    failures,
    status: failures.length ? 'Fail' : 'OK',
  };
}

/** The report from the inventory and Prometheus's answer (`prometheusUrl` names it in failures). */
export function prometheusReport(inv: Inventory, answer: PromAnswer, prometheusUrl: string): ClusterReport {
  const hosts = hostsOf(inv);
  const version = inv.managers[0]?.version ?? null;
  const preface = answer.ok ? [] : [`Could not query Prometheus at ${prometheusUrl}: ${answer.error}.`];
  if (answer.ok) attach(hosts, answer.result);
  const forType = (type: NodeType) => {
    const all = [...hosts.values()];
    const external = all.some((h) => h.external.has(type));
    const mine = all.filter((h) => h.types.has(type));
    const nodes = mine.map((h): [string, ClusterNode] => [
      h.name,
      nodeOf(h, type, version, mine.length, preface),
    ]);
    return serviceReport(type, nodes, external);
  };
  return clusterReport({ broker: forType('broker'), db: forType('db'), manager: forType('manager') });
}
