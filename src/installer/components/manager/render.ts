// What a manager node runs, computed from config.yaml without touching the host (cfy_manager.md §6.1,
// §4.4): the certificate paths in /etc/cloudify/ssl, the database and broker URLs, the REST process
// count, the two supervisord programs and their env files. Secrets live only in the env files (0600),
// which `node --env-file` reads: never in argv, never in the 0644 program files.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { InputError } from '../../errors.js';
import { CLOUDIFY_DIR, SSL_DIR } from '../../paths.js';
import type { Program } from '../../services/supervisor.js';
import {
  monitoringCredentials,
  PRODUCTION_LAYOUT as MONITORING,
  prometheusUrl,
  STRATUS_REST_METRICS_PORT,
  STRATUS_WORKER_METRICS_PORT,
} from '../monitoring/settings.js';

export const REST_PROGRAM = 'cloudify-restservice';
const WORKER_PROGRAM = 'cloudify-mgmtworker';
export const PROGRAMS = [REST_PROGRAM, WORKER_PROGRAM] as const;

/** The manager's files in /etc/cloudify/ssl (reference §3.3). */
export const MANAGER_SSL = {
  internalCert: join(SSL_DIR, 'cloudify_internal_cert.pem'),
  internalKey: join(SSL_DIR, 'cloudify_internal_key.pem'),
  ca: join(SSL_DIR, 'cloudify_internal_ca_cert.pem'),
  externalCert: join(SSL_DIR, 'cloudify_external_cert.pem'),
  externalKey: join(SSL_DIR, 'cloudify_external_key.pem'),
  externalCa: join(SSL_DIR, 'cloudify_external_ca_cert.pem'),
  pgCert: join(SSL_DIR, 'postgresql.crt'),
  pgKey: join(SSL_DIR, 'postgresql.key'),
  pgCa: join(SSL_DIR, 'postgresql_ca.crt'),
  rabbitCa: join(SSL_DIR, 'rabbitmq-ca.pem'),
};

export const ENV_DIR = join(CLOUDIFY_DIR, 'manager');
export const REST_ENV = join(ENV_DIR, 'restservice.env');
export const WORKER_ENV = join(ENV_DIR, 'mgmtworker.env');
/** The REST service's and the worker's shared folder (resources = Cloudify's file_server_root). */
export const DATA_DIR = '/opt/manager';
export const LOG_DIR = '/var/log/cloudify';
export const CFY_MANAGER_BIN = fileURLToPath(new URL('../../../../bin/cfy_manager', import.meta.url));
export const PATRONI_PORT = 8008;

/** §6.1: min(worker_count or int(nproc × cpu_ratio) + 1, max_worker_count), at least 1. */
export function restWorkers(config: Config, nproc: number): number {
  const g = config.restservice.gunicorn;
  const n = g.worker_count || Math.floor(nproc * g.cpu_ratio) + 1;
  return Math.max(1, Math.min(n, g.max_worker_count));
}

const hostPort = (h: string, port: number) => `${h.includes(':') ? `[${h}]` : h}:${port}`;

/** The database hosts: every cluster node, or postgresql_client.host. */
export function dbHosts(config: Config): string[] {
  const nodes = Object.values(config.postgresql_server.cluster.nodes).map((n) => n.ip);
  return nodes.length > 0 ? nodes : [config.postgresql_client.host];
}

/** The database client's TLS files: deployed in /etc/cloudify/ssl, or (before that) as supplied. */
export interface SslFiles {
  pgCa: string;
  pgCert: string;
  pgKey: string;
}

export const pgCaSource = (config: Config) =>
  config.postgresql_client.ca_path || config.postgresql_server.ca_path;

export function sourceSsl(config: Config): SslFiles {
  return {
    pgCa: pgCaSource(config),
    pgCert: config.ssl_inputs.postgresql_client_cert_path,
    pgKey: config.ssl_inputs.postgresql_client_key_path,
  };
}

/** The TLS part of the database URL (§4.4: verify-full, the client certificate with verification). */
function dbQuery(config: Config, files: SslFiles): string {
  const c = config.postgresql_client;
  if (!c.ssl_enabled) return 'sslmode=disable';
  const q = [`sslmode=verify-full`, `sslrootcert=${files.pgCa}`];
  if (c.ssl_client_verification) q.push(`sslcert=${files.pgCert}`, `sslkey=${files.pgKey}`);
  // Patroni answers who leads on 8008 (TLS, client certificate required): the store follows the leader.
  if (isDbCluster(config)) q.push(`patroni_port=${PATRONI_PORT}`);
  return q.join('&');
}

export function dbUrl(config: Config, as: 'cloudify' | 'superuser', files: SslFiles = MANAGER_SSL): string {
  const c = config.postgresql_client;
  const [user, password, db] =
    as === 'cloudify'
      ? [c.cloudify_username, c.cloudify_password, c.cloudify_db_name]
      : [c.server_username, superPassword(config), c.server_db_name];
  const hosts = dbHosts(config)
    .map((h) => hostPort(h, 5432))
    .join(',');
  const e = encodeURIComponent;
  return `postgres://${e(user)}:${e(password)}@${hosts}/${e(db)}?${dbQuery(config, files)}`;
}

function superPassword(config: Config): string {
  return config.postgresql_client.server_password || config.postgresql_server.postgres_password;
}

export interface BrokerEntry {
  name: string;
  host: string;
  port: number;
  networks: Record<string, string>;
}

/** rabbitmq.cluster_members, each by its `default` network (or `address`), on the agents' broker port. */
export function brokers(config: Config): BrokerEntry[] {
  return Object.entries(config.rabbitmq.cluster_members).map(([name, m]) => {
    const networks = { ...(m?.networks ?? {}) };
    const host = networks.default ?? m?.address;
    if (!host) {
      throw new InputError(`rabbitmq.cluster_members.${name} has no address`, {
        fix: `Set rabbitmq.cluster_members.${name}.networks.default to the broker's IP in config.yaml.`,
      });
    }
    networks.default = host;
    return { name, host, port: config.agent.broker_port, networks };
  });
}

export function amqpUrl(config: Config): string {
  const r = config.rabbitmq;
  const e = encodeURIComponent;
  const hosts = brokers(config)
    .map((b) => hostPort(b.host, b.port))
    .join(',');
  return `amqps://${e(r.username)}:${e(r.password)}@${hosts}/`;
}

/** One `KEY='value'` line per entry, for `node --env-file`. */
export function envFileText(vars: Record<string, string | undefined>): string {
  const lines = ['# Written by cfy_manager (mode 0600): the next configure rewrites it.'];
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) continue;
    if (/[\n\r]/.test(v)) throw new InputError(`The value for ${k} contains a line break`);
    const quoted = !v.includes("'") ? `'${v}'` : !v.includes('"') ? `"${v}"` : undefined;
    if (!quoted) throw new InputError(`The value for ${k} contains both ' and " (not supported)`);
    lines.push(`${k}=${quoted}`);
  }
  return `${lines.join('\n')}\n`;
}

/** GET /cluster-status asks this node's Prometheus (monitoring_service): its URL, CA and credentials. */
function prometheusEnv(config: Config): Record<string, string> {
  if (!config.services_to_install.includes('monitoring_service')) return {};
  const creds = monitoringCredentials(config);
  return {
    STRATUS_PROMETHEUS_URL: prometheusUrl(config),
    STRATUS_PROMETHEUS_CA: MONITORING.ca,
    STRATUS_PROMETHEUS_USER: creds.username,
    STRATUS_PROMETHEUS_PASSWORD: creds.password,
    STRATUS_PROMETHEUS_TARGETS_DIR: MONITORING.targetsDir,
  };
}

interface Rendered {
  programs: Program[];
  env: { path: string; text: string }[];
}

/** The internal REST port (53333 by default): workers, agents and the installer's own calls use it. */
export const internalPort = (config: Config) =>
  config.manager.additional_internal_rest_listeners[0] ?? config.manager.internal_rest_port;

/** The programs and their env files; `secretsKey` is the cluster's shared key (from the database). */
export function renderManager(config: Config, secretsKey: string, nproc: number): Rendered {
  const m = config.manager as Config['manager'] & { external_rest_port?: number };
  const shared = {
    STRATUS_DB_URL: dbUrl(config, 'cloudify'),
    STRATUS_AMQP_URL: amqpUrl(config),
    STRATUS_AMQP_CA: config.rabbitmq.ca_path ? MANAGER_SSL.rabbitCa : undefined,
    STRATUS_AMQP_FOLLOW_REGISTRY: 'true',
    STRATUS_SECRETS_KEY: secretsKey,
    STRATUS_DATA_DIR: DATA_DIR,
    STRATUS_MAX_CONCURRENT_WORKFLOWS: String(config.mgmtworker.max_concurrent_workflows),
  };
  const restEnv = {
    ...shared,
    STRATUS_HOSTNAME: m.hostname,
    STRATUS_PRIVATE_IP: m.private_ip,
    STRATUS_PUBLIC_NAME: m.public_ip || m.private_ip,
    STRATUS_INTERNAL_CERT: MANAGER_SSL.internalCert,
    STRATUS_INTERNAL_KEY: MANAGER_SSL.internalKey,
    STRATUS_EXTERNAL_CERT: MANAGER_SSL.externalCert,
    STRATUS_EXTERNAL_KEY: MANAGER_SSL.externalKey,
    STRATUS_CA_CERT: MANAGER_SSL.ca,
    STRATUS_WORKERS: String(restWorkers(config, nproc)),
    STRATUS_METRICS_PORT: String(STRATUS_REST_METRICS_PORT),
    ...prometheusEnv(config),
  };
  const workerEnv = { ...shared, STRATUS_METRICS_PORT: String(STRATUS_WORKER_METRICS_PORT) };
  const node = process.execPath;
  const rest: Program = {
    name: REST_PROGRAM,
    command: [
      node,
      `--env-file=${REST_ENV}`,
      CFY_MANAGER_BIN,
      'serve',
      '--host 0.0.0.0',
      `--https-port ${m.external_rest_port ?? 443}`,
      `--internal-port ${internalPort(config)}`,
      '--http-port 80',
    ].join(' '),
    directory: DATA_DIR,
    logFile: join(LOG_DIR, 'rest', 'cloudify-restservice.log'),
    stopwaitsecs: 20,
  };
  const worker: Program = {
    name: WORKER_PROGRAM,
    command: [
      node,
      `--env-file=${WORKER_ENV}`,
      CFY_MANAGER_BIN,
      'worker',
      `--rest-host ${config.networks.default ?? m.private_ip}`,
      `--rest-port ${internalPort(config)}`,
      `--concurrency ${config.mgmtworker.max_workers}`,
    ].join(' '),
    directory: DATA_DIR,
    logFile: join(LOG_DIR, 'mgmtworker', 'cloudify-mgmtworker.log'),
    stopwaitsecs: 20,
  };
  return {
    programs: [rest, worker],
    env: [
      { path: REST_ENV, text: envFileText(restEnv) },
      { path: WORKER_ENV, text: envFileText(workerEnv) },
    ],
  };
}
