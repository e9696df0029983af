// `cfy_manager serve`'s flags turned into what serve() runs: the manager's config, the TLS front and the
// number of REST processes. Loaded when serve runs (serve-command.ts declares the flags).
import { availableParallelism, hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultConfig, type PrometheusAccess } from '../manager/config.js';
import { loadFrontCerts } from './front-certs.js';
import { intOption, serverUrl, sharedServerConfig } from './options.js';
import type { ServeOptions } from './serve.js';
import { restWorkerCount } from './serve-cluster.js';

export type Flags = Record<string, string | undefined>;

/**
 * REST worker processes by default: the formula of §6.1 with cpu_ratio 0.25, at most 12: one process
 * on two cores, two on four. Cloudify's 2.0 is for gunicorn's blocking workers; one Node process
 * serves many requests at once, and on two cores a second one bought nothing (bench/tls).
 */
export const WORKER_DEFAULTS = { cpuRatio: 0.25, maxWorkerCount: 12 };

/** The Prometheus URL from the flag, its credentials only from the environment (never argv). */
function prometheusAccess(url: string, caPath: string | undefined): PrometheusAccess {
  const username = process.env.STRATUS_PROMETHEUS_USER;
  const password = process.env.STRATUS_PROMETHEUS_PASSWORD;
  if (!username || !password)
    throw new Error(
      '--prometheus-url needs STRATUS_PROMETHEUS_USER and STRATUS_PROMETHEUS_PASSWORD in the environment (prometheus.credentials)',
    );
  return { url: url.replace(/\/+$/, ''), ...(caPath ? { caPath } : {}), username, password };
}

/** STRATUS_TRUSTED_PROXIES: comma-separated IPs or CIDRs (the load balancers). */
function trustedProxies(value: string | undefined): { trustedProxies?: string[] } {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length ? { trustedProxies: list } : {};
}

function workers(o: Flags): number {
  const n = intOption('--workers', o.workers, 0, 64);
  const shared = Boolean(o.db && o.amqp);
  if (n > 1 && !shared) {
    throw new Error(
      '--workers above 1 needs --db and --amqp: the embedded database, the in-process bus and its worker live in one process',
    );
  }
  if (!shared) return 1;
  return restWorkerCount({ workerCount: n, nproc: availableParallelism(), ...WORKER_DEFAULTS });
}

function front(o: Flags): ServeOptions['front'] {
  const certs = loadFrontCerts({
    internalCert: o.internalCert,
    internalKey: o.internalKey,
    externalCert: o.externalCert,
    externalKey: o.externalKey,
    caCert: o.caCert,
  });
  if (!certs) return undefined;
  const httpsPort = intOption('--https-port', o.httpsPort, 1, 65535);
  const internalPort = intOption('--internal-port', o.internalPort, 1, 65535);
  const httpPort = intOption('--http-port', o.httpPort, 1, 65535);
  if (httpPort === httpsPort || httpPort === internalPort)
    throw new Error(`--http-port ${httpPort} is also a TLS port: give the plain port its own number`);
  return { certs, httpsPort, internalPort, httpPort, publicName: o.publicName };
}

export function serveOptions(o: Flags, command: Command): ServeOptions {
  o.db = serverUrl(command, o, 'db');
  o.amqp = serverUrl(command, o, 'amqp');
  const tls = front(o);
  const config = defaultConfig({
    host: o.host,
    // Workflows reach the REST service on the internal port when the front is on (Cloudify's REST_PORT).
    port: tls ? tls.internalPort : intOption('--port', o.port, 0, 65535),
    ...sharedServerConfig(o),
    adminPassword: o.adminPassword ?? process.env.STRATUS_ADMIN_PASSWORD,
    debug: process.env.STRATUS_DEBUG === 'true',
    ...trustedProxies(process.env.STRATUS_TRUSTED_PROXIES),
    // A cluster's managers register under these (the installer sets them; managers.private_ip is unique).
    hostname: process.env.STRATUS_HOSTNAME || hostname(),
    ...(process.env.STRATUS_PRIVATE_IP ? { privateIp: process.env.STRATUS_PRIVATE_IP } : {}),
    ...(o.publicName ? { publicIp: o.publicName } : {}),
    ...(o.metricsPort ? { metricsPort: intOption('--metrics-port', o.metricsPort, 1, 65535) } : {}),
    ...(o.prometheusUrl ? { prometheus: prometheusAccess(o.prometheusUrl, o.prometheusCa) } : {}),
    ...(o.prometheusTargetsDir ? { prometheusTargetsDir: o.prometheusTargetsDir } : {}),
  });
  return { config, front: tls, workers: workers(o) };
}
