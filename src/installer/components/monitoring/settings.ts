// What monitoring_service decides from config.yaml alone (cfy_manager.md §7): the file layout, the
// credentials with Cloudify's fallbacks (§7.2), the HTTPS URL of a node's Prometheus, and the timings
// derived from prometheus.scrape_interval (§7.1, §7.4). No I/O here; manager/render.ts uses it too.
import { join } from 'node:path';
import { has } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { SSL_DIR } from '../../paths.js';

/** Prometheus serves this port itself, TLS + basic auth, on every address (docs/decisions.md). */
export const MONITORING_PORT = 8009;
/** Stratus's own metrics on a manager (the REST service and the worker, 127.0.0.1 only). */
export const STRATUS_REST_METRICS_PORT = 8111;
export const STRATUS_WORKER_METRICS_PORT = 8112;

export const PROGRAMS = {
  prometheus: 'prometheus',
  node: 'node_exporter',
  postgres: 'postgres_exporter',
  blackbox: 'blackbox_exporter',
} as const;

/** Every path the component writes; tests render into a temporary layout. */
export interface MonLayout {
  confDir: string;
  configFile: string;
  targetsDir: string;
  alertsDir: string;
  exportersDir: string;
  webConfig: string;
  /** The basic-auth password Prometheus presents to the other nodes (0400, read by Prometheus). */
  passwordFile: string;
  blackboxConfig: string;
  /** DATA_SOURCE_NAME of postgres_exporter (0600, owned by postgres). */
  postgresEnv: string;
  dataDir: string;
  logDir: string;
  cert: string;
  key: string;
  ca: string;
  caKey: string;
}

export function layoutUnder(confDir: string, dataDir: string, sslDir: string, logDir: string): MonLayout {
  return {
    confDir,
    configFile: join(confDir, 'prometheus.yml'),
    targetsDir: join(confDir, 'targets'),
    alertsDir: join(confDir, 'alerts'),
    exportersDir: join(confDir, 'exporters'),
    webConfig: join(confDir, 'web.yml'),
    passwordFile: join(confDir, 'federation.password'),
    blackboxConfig: join(confDir, 'exporters', 'blackbox.yml'),
    postgresEnv: join(confDir, 'exporters', 'postgres_exporter.env'),
    dataDir,
    logDir,
    cert: join(sslDir, 'monitoring_cert.pem'),
    key: join(sslDir, 'monitoring_key.pem'),
    ca: join(sslDir, 'monitoring_ca_cert.pem'),
    caKey: join(sslDir, 'monitoring_ca_key.pem'),
  };
}

/**
 * /etc/prometheus and /var/lib/prometheus are private to each lab node (src/lab/nodes.ts). The TSDB lives
 * in a subdirectory: Debian's own prometheus unit uses /var/lib/prometheus/metrics2.
 */
export const PRODUCTION_LAYOUT = layoutUnder(
  '/etc/prometheus',
  '/var/lib/prometheus/cloudify',
  SSL_DIR,
  '/var/log/cloudify/prometheus',
);

export interface Credentials {
  username: string;
  password: string;
}

/** §7.2: prometheus.credentials; else the admin (manager), postgres (DB) or the broker user (queue). */
export function monitoringCredentials(config: Config): Credentials {
  const c = config.prometheus.credentials;
  if (c.username && c.password) return { username: c.username, password: String(c.password) };
  if (has(config, 'manager_service')) {
    const s = config.manager.security;
    return { username: s.admin_username, password: String(s.admin_password) };
  }
  if (has(config, 'database_service')) {
    return { username: 'postgres', password: String(config.postgresql_server.postgres_password) };
  }
  if (has(config, 'queue_service')) {
    return { username: config.rabbitmq.username, password: String(config.rabbitmq.password) };
  }
  return { username: c.username, password: String(c.password) };
}

/** postgres_exporter's password: prometheus.postgres_exporter.password, else db_monitoring.password. */
export const monitoringPassword = (config: Config) =>
  String(config.prometheus.postgres_exporter.password || config.postgresql_server.db_monitoring.password);

export const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** `https://<private_ip>:8009/monitoring`: Prometheus's external URL, every path is under it. */
export const prometheusUrl = (config: Config) =>
  `https://${urlHost(config.manager.private_ip)}:${MONITORING_PORT}/monitoring`;

const INTERVAL = /^((\d+)s)?((\d+)ms)?/;

function scrapeSeconds(interval: string | undefined): { seconds: number; text: string } | undefined {
  const m = INTERVAL.exec(String(interval ?? '').toLowerCase());
  if (!m || (m[1] === undefined && m[3] === undefined)) return undefined;
  return { seconds: Number(m[2] ?? 0) + 0.001 * Number(m[4] ?? 0), text: m[0] };
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** §7.1 `--query.lookback-delta`: round(2.7 × scrape seconds) s; 15s → 40s, 5s → 14s; unparsable → 40s. */
export function lookbackDelta(interval: string | undefined): string {
  const s = scrapeSeconds(interval);
  return s ? `${roundHalfEven(2.7 * s.seconds)}s` : '40s';
}

/** §7.4 the rules' `for:`: the scrape interval when below 15 s, else (or unparsable) 15s. */
export function alertFor(interval: string | undefined): string {
  const s = scrapeSeconds(interval);
  return s && s.seconds < 15 ? s.text : '15s';
}

export const isAllInOne = (config: Config) =>
  (['database_service', 'queue_service', 'manager_service'] as const).every((s) => has(config, s));
