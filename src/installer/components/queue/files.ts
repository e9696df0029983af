// The files queue_service writes (reference §5.1, §5.2, §5.3), rendered as strings so they can be tested
// without a host. Paths are Cloudify's, except that RabbitMQ reads the new-style rabbitmq.conf.
import { createHash, randomBytes } from 'node:crypto';
import { policyDefinitions, type RabbitmqSection } from './config.js';

export const PATHS = {
  confDir: '/etc/cloudify/rabbitmq',
  conf: '/etc/cloudify/rabbitmq/rabbitmq.conf',
  advanced: '/etc/cloudify/rabbitmq/advanced.config',
  plugins: '/etc/cloudify/rabbitmq/enabled_plugins',
  definitions: '/etc/cloudify/rabbitmq/definitions.json',
  envConf: '/etc/rabbitmq/rabbitmq-env.conf',
  oldErlangConfig: '/etc/rabbitmq/rabbitmq.config',
  home: '/var/lib/rabbitmq',
  cookie: '/var/lib/rabbitmq/.erlang.cookie',
  mnesia: '/var/lib/rabbitmq/mnesia',
  startScript: '/var/lib/rabbitmq/start_rabbitmq_server.sh',
  logDir: '/var/log/cloudify/rabbitmq',
  log: '/var/log/cloudify/rabbitmq/cloudify-rabbitmq.log',
  sslDir: '/etc/cloudify/ssl',
  cert: '/etc/cloudify/ssl/rabbitmq-cert.pem',
  key: '/etc/cloudify/ssl/rabbitmq-key.pem',
  ca: '/etc/cloudify/ssl/rabbitmq-ca.pem',
  bin: '/usr/lib/rabbitmq/bin',
} as const;

export const PROGRAM = 'cloudify-rabbitmq';
export const PORTS = { amqps: 5671, management: 15671, prometheus: 15692, dist: 25672, epmd: 4369 } as const;

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/**
 * rabbitmq.conf: AMQP over TLS only (5671, no plain listener), the management API only over TLS (15671),
 * Prometheus metrics on 15692 (loopback only: the node's own Prometheus scrapes them), pause_minority.
 */
export function renderRabbitmqConf(opts: { tls: TlsFiles; definitions: boolean; prometheusIp?: string }) {
  const { tls } = opts;
  const sslOpts = (prefix: string) => [
    `${prefix}.cacertfile = ${tls.ca}`,
    `${prefix}.certfile = ${tls.cert}`,
    `${prefix}.keyfile = ${tls.key}`,
    `${prefix}.versions.1 = tlsv1.3`,
    `${prefix}.versions.2 = tlsv1.2`,
    `${prefix}.honor_cipher_order = true`,
    `${prefix}.honor_ecc_order = true`,
    `${prefix}.verify = verify_none`,
    `${prefix}.fail_if_no_peer_cert = false`,
  ];
  return [
    '# Written by cfy_manager (queue_service). Changes are lost on the next configure.',
    '# AMQP: TLS only',
    'listeners.tcp = none',
    `listeners.ssl.default = ${PORTS.amqps}`,
    ...sslOpts('ssl_options'),
    '',
    'cluster_partition_handling = pause_minority',
    'heartbeat = 0',
    'loopback_users = none',
    '',
    '# Management API: TLS only',
    `management.ssl.port = ${PORTS.management}`,
    ...sslOpts('management.ssl'),
    '',
    `prometheus.tcp.port = ${PORTS.prometheus}`,
    `prometheus.tcp.ip = ${opts.prometheusIp ?? '127.0.0.1'}`,
    '',
    ...(opts.definitions ? [`load_definitions = ${PATHS.definitions}`] : []),
    'log.console = true',
    'log.console.level = info',
    'log.file = false',
    '',
  ].join('\n');
}

/** What rabbitmq.conf cannot say: no consumer timeout (a workflow may hold its message for hours). */
export const ADVANCED_CONFIG = '[{rabbit, [{consumer_timeout, undefined}]}].\n';

export const ENABLED_PLUGINS = '[rabbitmq_management,rabbitmq_prometheus,rabbitmq_tracing].\n';

/** /etc/rabbitmq/rabbitmq-env.conf, read by the server and by every CLI tool. */
export function renderEnvConf(nodename: string, useLongName: boolean): string {
  return [
    '# Written by cfy_manager (queue_service)',
    `NODENAME=${nodename}`,
    `CONFIG_FILE=${PATHS.conf}`,
    `ADVANCED_CONFIG_FILE=${PATHS.advanced}`,
    `ENABLED_PLUGINS_FILE=${PATHS.plugins}`,
    `MNESIA_BASE=${PATHS.mnesia}`,
    `LOG_BASE=${PATHS.logDir}`,
    ...(useLongName ? ['USE_LONGNAME=true'] : []),
    '',
  ].join('\n');
}

/** The environment every rabbitmq process (server and CLI) runs with. */
export function rabbitEnv(): Record<string, string> {
  return {
    HOME: PATHS.home,
    RABBITMQ_CONF_ENV_FILE: PATHS.envConf,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
  };
}

/** The wrapper supervisord runs: raises the fd limit, then becomes rabbitmq-server. */
export function renderStartScript(fdLimit: number): string {
  return [
    '#!/bin/sh',
    '# Written by cfy_manager (queue_service)',
    `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null`,
    `exec ${PATHS.bin}/rabbitmq-server`,
    '',
  ].join('\n');
}

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt(4) + sha256(salt + password)). */
export function rabbitPasswordHash(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256')
    .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
    .digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

/** definitions.json (§5.3): vhost `/`, the configured admin user, its permissions, the policies. */
export function renderDefinitions(r: RabbitmqSection, salt?: Buffer): { json: string; dropped: string[] } {
  const { policies, dropped } = policyDefinitions(r.policies ?? []);
  const defs = {
    vhosts: [{ name: '/' }],
    users: [
      {
        name: r.username,
        password_hash: rabbitPasswordHash(r.password, salt),
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: 'administrator',
      },
    ],
    permissions: [{ user: r.username, vhost: '/', configure: '.*', write: '.*', read: '.*' }],
    policies,
  };
  return { json: `${JSON.stringify(defs, null, 2)}\n`, dropped };
}

/** §5.1 step 5: the block appended to /etc/hosts for members that do not resolve. */
export function hostsBlock(entries: { name: string; ip: string }[]): string {
  if (entries.length === 0) return '';
  return ['# Added for cloudify rabbitmq clustering', ...entries.map((e) => `${e.ip} ${e.name}`), ''].join(
    '\n',
  );
}
