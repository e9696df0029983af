// The files of monitoring_service, rendered as strings without touching the host (cfy_manager.md
// §7.1-7.3): prometheus.yml, the target files, Prometheus's web config (TLS + bcrypt basic auth on 8009,
// instead of Cloudify's nginx), blackbox.yml, postgres_exporter's DSN and the supervisord programs.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { has, isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import type { Program } from '../../services/supervisor.js';
import { internalPort } from '../manager/render.js';
import {
  type Credentials,
  lookbackDelta,
  monitoringPassword,
  MONITORING_PORT,
  type MonLayout,
  PROGRAMS,
  STRATUS_REST_METRICS_PORT,
  STRATUS_WORKER_METRICS_PORT,
  urlHost,
} from './settings.js';

export const BIN = {
  prometheus: '/usr/bin/prometheus',
  promtool: '/usr/bin/promtool',
  node: '/usr/bin/prometheus-node-exporter',
  postgres: '/usr/bin/prometheus-postgres-exporter',
  blackbox: '/usr/bin/prometheus-blackbox-exporter',
};

/** A node's roles, from services_to_install. */
export const roles = (config: Config) => ({
  manager: has(config, 'manager_service'),
  db: has(config, 'database_service'),
  queue: has(config, 'queue_service'),
});

const hostPort = (h: string, port: number) => `${urlHost(h)}:${port}`;
const ownIp = (config: Config) => config.manager.private_ip;

/** The other managers: load_balancer.managers when the config lists them (the database is not read). */
export function otherManagers(config: Config): string[] {
  const ips = Object.values(config.load_balancer.managers).map((m) => m.ip);
  return [...new Set(ips)].filter((ip) => ip !== ownIp(config));
}

/** The brokers of rabbitmq.cluster_members: by address, or by name with use_hostnames_in_db. */
export function rabbitAddresses(config: Config): string[] {
  const r = config.rabbitmq;
  const out = Object.entries(r.cluster_members).map(([name, m]) =>
    r.use_hostnames_in_db ? name : (m?.networks?.default ?? m?.address ?? name),
  );
  return [...new Set(out)];
}

/** The PostgreSQL cluster nodes (postgresql_server.cluster.nodes). */
export const postgresAddresses = (config: Config): string[] => [
  ...new Set(Object.values(config.postgresql_server.cluster.nodes).map((n) => n.ip)),
];

export const otherRabbits = (config: Config) => rabbitAddresses(config).filter((a) => a !== ownIp(config));
export const otherPostgres = (config: Config) => postgresAddresses(config).filter((a) => a !== ownIp(config));

/** What blackbox probes on a manager (§7.3 local_http_200_manager.yml, with Stratus's listeners). */
export function httpProbes(config: Config): string[] {
  const ip = urlHost(ownIp(config));
  const ports = [...new Set([config.manager.internal_rest_port, internalPort(config)])];
  return ports.map((p) => `https://${ip}:${p}/api/v3.1/ok`);
}

export interface TargetFile {
  name: string;
  targets: string[];
  labels: Record<string, string>;
}

/** §7.3: `- targets: [...]` with `labels: {host: <private_ip>}` (the federation files carry none). */
export function renderTargets(t: Pick<TargetFile, 'targets' | 'labels'>): string {
  return `- targets: ${JSON.stringify(t.targets)}\n  labels: ${JSON.stringify(t.labels)}\n`;
}

export function targetFiles(config: Config): TargetFile[] {
  const r = roles(config);
  const host = { host: ownIp(config) };
  const p = config.prometheus;
  const files: TargetFile[] = [
    { name: 'local_prometheus.yml', targets: [`127.0.0.1:${MONITORING_PORT}`], labels: host },
    { name: 'local_node_exporter.yml', targets: [`localhost:${p.node_exporter.metrics_port}`], labels: host },
  ];
  if (r.db) {
    files.push({
      name: 'local_postgres.yml',
      targets: [`localhost:${p.postgres_exporter.metrics_port}`],
      labels: host,
    });
  }
  if (r.queue) {
    files.push({
      name: 'local_rabbit.yml',
      targets: [`localhost:${p.rabbitmq_prometheus.metrics_port}`],
      labels: host,
    });
  }
  if (r.manager) {
    const remote = (ips: string[]) => ips.map((a) => hostPort(a, MONITORING_PORT));
    files.push(
      { name: 'local_http_200_manager.yml', targets: httpProbes(config), labels: host },
      { name: 'other_managers.yml', targets: remote(otherManagers(config)), labels: {} },
      { name: 'other_rabbits.yml', targets: remote(otherRabbits(config)), labels: {} },
      { name: 'other_postgres.yml', targets: remote(otherPostgres(config)), labels: {} },
    );
  }
  return files;
}

type Job = Record<string, unknown>;

function fileSd(layout: MonLayout, file: string): Job {
  return { file_sd_configs: [{ files: [join(layout.targetsDir, file)] }] };
}

/** How this Prometheus talks to a Prometheus on 8009: https, the monitoring CA, basic auth. */
function secured(layout: MonLayout, creds: Credentials, serverName?: string): Job {
  return {
    scheme: 'https',
    tls_config: { ca_file: layout.ca, ...(serverName ? { server_name: serverName } : {}) },
    basic_auth: { username: creds.username, password_file: layout.passwordFile },
  };
}

const FEDERATIONS: [string, string, string][] = [
  ['federate_http_200', 'http_200', 'other_managers.yml'],
  ['federate_manager_prometheus', 'prometheus', 'other_managers.yml'],
  ['federate_manager_node', 'node', 'other_managers.yml'],
  ['federate_rabbitmq', 'rabbitmq', 'other_rabbits.yml'],
  ['federate_rabbitmq_prometheus', 'prometheus', 'other_rabbits.yml'],
  ['federate_rabbitmq_node', 'node', 'other_rabbits.yml'],
  ['federate_postgresql', 'postgresql', 'other_postgres.yml'],
  ['federate_postgresql_prometheus', 'prometheus', 'other_postgres.yml'],
  ['federate_postgresql_node', 'node', 'other_postgres.yml'],
];

function managerJobs(config: Config, layout: MonLayout, creds: Credentials): Job[] {
  const host = { host: ownIp(config) };
  const own = (job: string, port: number): Job => ({
    job_name: job,
    metrics_path: '/metrics',
    static_configs: [{ targets: [`127.0.0.1:${port}`], labels: host }],
  });
  return [
    {
      job_name: 'http_200',
      metrics_path: '/probe',
      params: { module: ['http_200'] },
      relabel_configs: [
        { source_labels: ['__address__'], target_label: '__param_target' },
        { source_labels: ['__param_target'], target_label: 'instance' },
        {
          target_label: '__address__',
          replacement: `127.0.0.1:${config.prometheus.blackbox_exporter.metrics_port}`,
        },
      ],
      ...fileSd(layout, 'local_http_200_manager.yml'),
    },
    own('stratus_rest', STRATUS_REST_METRICS_PORT),
    own('stratus_worker', STRATUS_WORKER_METRICS_PORT),
    ...FEDERATIONS.map(([name, job, file]) => ({
      job_name: name,
      honor_labels: true,
      ...secured(layout, creds),
      metrics_path: '/monitoring/federate',
      params: { 'match[]': [`{job="${job}",host!="${ownIp(config)}"}`] },
      ...fileSd(layout, file),
    })),
  ];
}

/** /etc/prometheus/prometheus.yml (§7.3): the local jobs of this node's roles; on managers the federation. */
export function renderPrometheusConfig(config: Config, layout: MonLayout, creds: Credentials): string {
  const r = roles(config);
  const p = config.prometheus;
  const jobs: Job[] = [
    {
      job_name: 'prometheus',
      metrics_path: '/monitoring/metrics',
      ...secured(layout, creds, ownIp(config)),
      ...fileSd(layout, 'local_prometheus.yml'),
    },
    { job_name: 'node', ...fileSd(layout, 'local_node_exporter.yml') },
  ];
  if (r.queue) jobs.push({ job_name: 'rabbitmq', ...fileSd(layout, 'local_rabbit.yml') });
  if (r.db) jobs.push({ job_name: 'postgresql', ...fileSd(layout, 'local_postgres.yml') });
  if (r.manager) jobs.push(...managerJobs(config, layout, creds));
  const doc = {
    global: {
      scrape_interval: p.scrape_interval,
      evaluation_interval: p.scrape_interval,
      external_labels: { monitor: 'cloudify' },
    },
    rule_files: r.manager ? [join(layout.alertsDir, '*.yml')] : [],
    scrape_configs: jobs,
  };
  return `# Written by cfy_manager (monitoring_service); the next configure rewrites it.\n${stringify(doc)}`;
}

/** Prometheus's --web.config.file: TLS 1.2+ with the monitoring cert, one bcrypt basic-auth user. */
export function renderWebConfig(layout: MonLayout, username: string, bcryptHash: string): string {
  const doc = {
    tls_server_config: { cert_file: layout.cert, key_file: layout.key, min_version: 'TLS12' },
    basic_auth_users: { [username]: bcryptHash },
  };
  return `# Written by cfy_manager (monitoring_service).\n${stringify(doc)}`;
}

/** blackbox.yml: module http_200 verifies TLS against the manager's internal CA. */
export function renderBlackbox(caFile: string): string {
  const doc = {
    modules: {
      http_200: {
        prober: 'http',
        timeout: '5s',
        http: { tls_config: { insecure_skip_verify: false, ca_file: caFile } },
      },
    },
  };
  return stringify(doc);
}

/** postgres_exporter's connection (§7.1): the monitoring user, TLS as configured, the DB CA. */
export function postgresDsn(config: Config, caFile: string): string {
  const s = config.postgresql_server;
  const pe = config.prometheus.postgres_exporter;
  const host = pe.ip_address || (s.enable_remote_connections ? config.manager.private_ip : 'localhost');
  const tls = s.ssl_enabled || isDbCluster(config);
  const sslmode = tls ? pe.sslmode || 'require' : 'disable';
  const e = encodeURIComponent;
  const q = [`sslmode=${sslmode}`];
  if (sslmode !== 'disable' && caFile) q.push(`sslrootcert=${e(caFile)}`);
  const user = s.db_monitoring.username;
  const password = monitoringPassword(config);
  return `postgresql://${e(user)}:${e(password)}@${hostPort(host, 5432)}/postgres?${q.join('&')}`;
}

/** A file that /bin/sh sources (`set -a` exports it): one KEY='value' per line, quotes escaped. */
export function shellEnvFile(vars: Record<string, string>): string {
  const lines = ['# Written by cfy_manager (mode 0600): the next configure rewrites it.'];
  for (const [k, v] of Object.entries(vars)) {
    if (/[\n\r]/.test(v)) throw new InputError(`The value for ${k} contains a line break`);
    lines.push(`${k}='${v.replaceAll("'", `'\\''`)}'`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ProgramEnv {
  layout: MonLayout;
  /** Our supervisord's socket, for node_exporter's supervisord collector. */
  supervisorSocket: string;
}

/** The supervisord programs of this node's roles (§7.1); exporters listen on 127.0.0.1 only. */
export function renderPrograms(config: Config, env: ProgramEnv): Program[] {
  const { layout } = env;
  const p = config.prometheus;
  const log = (name: string) => join(layout.logDir, `${name}.log`);
  const programs: Program[] = [
    {
      name: PROGRAMS.prometheus,
      command: [
        BIN.prometheus,
        `--config.file=${layout.configFile}`,
        `--storage.tsdb.path=${layout.dataDir}`,
        '--storage.tsdb.retention.size=200MB',
        '--storage.tsdb.retention.time=7d',
        `--query.lookback-delta=${lookbackDelta(p.scrape_interval)}`,
        `--web.listen-address=:${MONITORING_PORT}`,
        `--web.config.file=${layout.webConfig}`,
        `--web.external-url=https://${urlHost(config.manager.private_ip)}:${MONITORING_PORT}/monitoring`,
        '--log.level=info',
      ].join(' '),
      user: 'prometheus',
      directory: layout.dataDir,
      environment: { GOMAXPROCS: '1', HOME: layout.dataDir },
      stopwaitsecs: 60,
      logFile: log(PROGRAMS.prometheus),
    },
    {
      name: PROGRAMS.node,
      // root: supervisord's socket is 0700 root (Debian's and the lab node's supervisord.conf).
      command: [
        BIN.node,
        '--collector.supervisord',
        `--collector.supervisord.url=unix://${env.supervisorSocket}`,
        '--no-collector.systemd',
        `--web.listen-address=127.0.0.1:${p.node_exporter.metrics_port}`,
        '--log.level=info',
      ].join(' '),
      logFile: log(PROGRAMS.node),
    },
  ];
  const r = roles(config);
  if (r.db) {
    const exec = `${BIN.postgres} --web.listen-address=127.0.0.1:${p.postgres_exporter.metrics_port} --log.level=info`;
    programs.push({
      name: PROGRAMS.postgres,
      // The DSN (with the password) only in the 0600 env file, never in this 0644 program file.
      command: `/bin/sh -c 'set -a; . ${layout.postgresEnv}; set +a; exec ${exec}'`,
      user: 'postgres',
      directory: '/',
      logFile: log(PROGRAMS.postgres),
    });
  }
  if (r.manager) {
    programs.push({
      name: PROGRAMS.blackbox,
      command: [
        BIN.blackbox,
        `--config.file=${layout.blackboxConfig}`,
        `--web.listen-address=127.0.0.1:${p.blackbox_exporter.metrics_port}`,
        '--log.level=info',
      ].join(' '),
      user: 'prometheus',
      directory: '/',
      logFile: log(PROGRAMS.blackbox),
    });
  }
  return programs;
}
