// `cfy_manager serve` (= `npm start`): the manager in the foreground. Without certificates it serves
// plain HTTP on --port; with --internal-cert/--internal-key it serves the TLS front of
// cfy_manager.md §6.5 (front.ts) on --https-port, --internal-port and --http-port instead.
import { availableParallelism, hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultConfig, type PrometheusAccess } from '../manager/config.js';
import { loadFrontCerts } from './front-certs.js';
import { intOption, registerServerOptions, serverUrl, sharedServerConfig } from './options.js';
import type { ServeOptions } from './serve.js';
import { restWorkerCount } from './serve-cluster.js';

type Flags = Record<string, string | undefined>;

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

function registerTlsOptions(cmd: Command): Command {
  const env = (name: string) => process.env[`STRATUS_${name}`];
  return cmd
    .option(
      '--internal-cert <file>',
      'internal certificate (PEM): turns the TLS front on (env STRATUS_INTERNAL_CERT)',
      env('INTERNAL_CERT'),
    )
    .option('--internal-key <file>', 'its private key (env STRATUS_INTERNAL_KEY)', env('INTERNAL_KEY'))
    .option(
      '--external-cert <file>',
      'external certificate, served to --public-name (env STRATUS_EXTERNAL_CERT)',
      env('EXTERNAL_CERT'),
    )
    .option('--external-key <file>', 'its private key (env STRATUS_EXTERNAL_KEY)', env('EXTERNAL_KEY'))
    .option(
      '--ca-cert <file>',
      'the CA that issued the internal certificate (env STRATUS_CA_CERT)',
      env('CA_CERT'),
    )
    .option('--https-port <port>', 'external REST port (TLS)', '443')
    .option('--internal-port <port>', 'internal REST port (TLS, internal certificate)', '53333')
    .option('--http-port <port>', 'plain port: 400 SSL_REQUIRED for /api, 308 to https otherwise', '80')
    .option(
      '--public-name <name>',
      "the manager's public hostname or IP (env STRATUS_PUBLIC_NAME)",
      env('PUBLIC_NAME'),
    )
    .option(
      '--workers <n>',
      'REST worker processes, 0 = int(CPUs × 0.25) + 1 (more than 1 only with --db and --amqp) (env STRATUS_WORKERS)',
      env('WORKERS') ?? '0',
    );
}

export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve', { isDefault: true })
    .description('Start the all-in-one manager (REST API, file server, worker) in the foreground')
    .option('--host <host>', 'listen address (env STRATUS_HOST)', process.env.STRATUS_HOST ?? '127.0.0.1')
    .option(
      '--port <port>',
      'listen port without certificates (env STRATUS_PORT)',
      process.env.STRATUS_PORT ?? '8080',
    )
    .option('--data-dir <dir>', 'data directory (env STRATUS_DATA_DIR)', process.env.STRATUS_DATA_DIR)
    .option('--admin-password <password>', 'bootstrap admin password (env STRATUS_ADMIN_PASSWORD)')
    .option(
      '--max-concurrent-workflows <n>',
      'executions that run at once; more wait as queued (env STRATUS_MAX_CONCURRENT_WORKFLOWS)',
      process.env.STRATUS_MAX_CONCURRENT_WORKFLOWS ?? '20',
    )
    .option(
      '--metrics-port <port>',
      'serve our Prometheus metrics on 127.0.0.1:<port>/metrics (env STRATUS_METRICS_PORT)',
      process.env.STRATUS_METRICS_PORT,
    )
    .option(
      '--prometheus-url <url>',
      'the local Prometheus that GET /cluster-status asks, e.g. https://10.0.0.31:8009/monitoring; its user and password come from STRATUS_PROMETHEUS_USER and STRATUS_PROMETHEUS_PASSWORD (env STRATUS_PROMETHEUS_URL)',
      process.env.STRATUS_PROMETHEUS_URL,
    )
    .option(
      '--prometheus-targets-dir <dir>',
      "keep the local Prometheus's other_managers/other_rabbits/other_postgres target files there in step with the cluster registry (env STRATUS_PROMETHEUS_TARGETS_DIR)",
      process.env.STRATUS_PROMETHEUS_TARGETS_DIR,
    )
    .option(
      '--prometheus-ca <file>',
      "CA that verifies Prometheus's certificate (env STRATUS_PROMETHEUS_CA)",
      process.env.STRATUS_PROMETHEUS_CA,
    );
  registerTlsOptions(registerServerOptions(cmd)).action(async (o: Flags, command: Command) => {
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
    // Loaded only to run: `cfy_manager --help` and the other commands do not pay for the server.
    const { serve } = await import('./serve.js');
    await serve({ config, front: tls, workers: workers(o) });
  });
}
