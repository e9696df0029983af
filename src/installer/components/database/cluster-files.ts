// The files of a DB cluster node (reference §4.2), rendered from config with no I/O: names, etcd.conf,
// the Patroni YAML, its pg_hba list and the PostgreSQL base parameters. Differences from Cloudify, each
// for a reason recorded in docs/installer.md: etcd's v3 API (Debian's etcd has v2 off) so Patroni uses
// `etcd3`; every etcd member listed for Patroni; Patroni's REST API demands a client certificate
// (verify_client: required) so unauthenticated reads are refused too; faster DCS timings.
import { isIPv6 } from 'node:net';
import { stringify } from 'yaml';
import type { Config } from '../../config/schema.js';
import {
  DB_CLUSTER_LOG_DIR,
  ETCD_CA,
  ETCD_CERT,
  ETCD_DATA,
  ETCD_KEY,
  PATRONI_BASE_CONF,
  PATRONI_CA,
  PATRONI_DATA,
  PATRONI_DB_CERT,
  PATRONI_DB_KEY,
  PATRONI_DIR,
  PATRONI_REST_CERT,
  PATRONI_REST_KEY,
  PG_BIN,
} from '../../paths.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const PATRONI_PORT = 8008;
export const PG_PORT = 5432;

/** `10.0.0.1` → `10_0_0_1`: the suffix of the etcd member `etcd<id>` and the Patroni member `pg<id>`. */
export const nodeId = (ip: string): string => ip.replaceAll('.', '_').replaceAll(':', '_');
export const etcdName = (ip: string): string => `etcd${nodeId(ip)}`;
export const patroniName = (ip: string): string => `pg${nodeId(ip)}`;
export const urlHost = (ip: string): string => (isIPv6(ip) ? `[${ip}]` : ip);

export function clusterIps(config: Config): string[] {
  return Object.values(config.postgresql_server.cluster.nodes).map((n) => n.ip);
}

/** This node's cluster IP: the node whose ip is this host's private or public IP. */
export function ownClusterIp(config: Config): string | undefined {
  const { private_ip, public_ip, hostname } = config.manager;
  const nodes = config.postgresql_server.cluster.nodes;
  for (const n of Object.values(nodes)) if (n.ip === private_ip || n.ip === public_ip) return n.ip;
  return hostname && nodes[hostname] ? nodes[hostname]!.ip : undefined;
}

const shq = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;

export function initialCluster(ips: string[]): string {
  return ips.map((ip) => `${etcdName(ip)}=https://${urlHost(ip)}:${ETCD_PEER_PORT}`).join(',');
}

/** /etc/etcd/etcd.conf: ETCD_* variables, sourced by the etcd program's shell (so the token stays in a 0440 file). */
export function renderEtcdConf(
  config: Config,
  ip: string,
  state: 'new' | 'existing',
  cluster?: string,
): string {
  const h = urlHost(ip);
  const vars: Record<string, string> = {
    ETCD_NAME: etcdName(ip),
    ETCD_DATA_DIR: ETCD_DATA,
    ETCD_LISTEN_PEER_URLS: `https://${h}:${ETCD_PEER_PORT}`,
    ETCD_LISTEN_CLIENT_URLS: `https://${h}:${ETCD_CLIENT_PORT}`,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: `https://${h}:${ETCD_PEER_PORT}`,
    ETCD_ADVERTISE_CLIENT_URLS: `https://${h}:${ETCD_CLIENT_PORT}`,
    ETCD_INITIAL_CLUSTER: cluster ?? initialCluster(clusterIps(config)),
    ETCD_INITIAL_CLUSTER_TOKEN: String(config.postgresql_server.cluster.etcd.cluster_token),
    ETCD_INITIAL_CLUSTER_STATE: state,
    ETCD_CERT_FILE: ETCD_CERT,
    ETCD_KEY_FILE: ETCD_KEY,
    // No ETCD_TRUSTED_CA_FILE for clients: etcd would then demand client certificates; clients log in.
    ETCD_CLIENT_CERT_AUTH: 'false',
    ETCD_PEER_CERT_FILE: ETCD_CERT,
    ETCD_PEER_KEY_FILE: ETCD_KEY,
    ETCD_PEER_TRUSTED_CA_FILE: ETCD_CA,
    ETCD_PEER_CLIENT_CERT_AUTH: 'true',
    ETCD_ENABLE_V2: 'false',
    // A member back from a partition asks before it campaigns (etcd 3.5's default; 3.4 has it off), so its
    // raised term does not depose the leader of the majority and cost Patroni's leader its lock.
    ETCD_PRE_VOTE: 'true',
  };
  return `${Object.entries(vars)
    .map(([k, v]) => `${k}=${shq(v)}`)
    .join('\n')}\n`;
}

const cidr = (ip: string) => `${ip}/${isIPv6(ip) ? 128 : 32}`;

/** Cloudify's order: per node (later nodes first) postgres and replicator, loopback replication, monitoring, then all. */
export function pgHba(config: Config, ips: string[] = clusterIps(config)): string[] {
  const lines: string[] = [];
  for (const ip of ips) {
    lines.unshift(`hostssl all postgres ${cidr(ip)} md5`, `hostssl replication replicator ${cidr(ip)} md5`);
  }
  lines.push('hostssl replication replicator 127.0.0.1/32 md5');
  const mon = config.postgresql_server.db_monitoring.username;
  for (const ip of ips) lines.push(`hostssl all ${mon} ${cidr(ip)} md5`);
  const verify = config.postgresql_server.ssl_client_verification ? ' clientcert=verify-full' : '';
  lines.push(`hostssl all all 0.0.0.0/0 md5${verify}`, `hostssl all all ::0/0 md5${verify}`);
  return lines;
}

/** The two lines a node adds for itself when it joins a running cluster. */
export const joinHbaLines = (ip: string) => [
  `hostssl all postgres ${cidr(ip)} md5`,
  `hostssl replication replicator ${cidr(ip)} md5`,
];

/** The tuned parameters of reference §4.1 (_generate_pg_params), then postgresql_server.config. */
export function pgParams(
  config: Config,
  totalMemBytes: number,
  managerHere: boolean,
): Record<string, string | number> {
  const mb = Math.floor(totalMemBytes / 1024 ** 2);
  const params: Record<string, string | number> = {
    logging_collector: 'on',
    log_filename: "'postgresql-%a.log'",
    log_truncate_on_rotation: 'on',
    log_rotation_age: '1d',
    timezone: "'UCT'",
    max_connections: 250,
    shared_buffers: `${Math.floor(mb / 4)}MB`,
    effective_cache_size: `${Math.floor(managerHere ? mb / 4 : mb / 2)}MB`,
    work_mem: `${Math.max(4, Math.floor(mb / 256))}MB`,
    maintenance_work_mem: `${Math.max(64, Math.floor(mb / 16))}MB`,
    wal_buffers: `${Math.min(2047, Math.floor(mb / 128))}MB`,
    checkpoint_completion_target: 0.9,
  };
  for (const [k, v] of Object.entries(config.postgresql_server.config)) {
    params[k] = typeof v === 'string' && !/^[\w.]+$/.test(v) ? `'${v.replaceAll("'", "''")}'` : String(v);
  }
  return params;
}

export function renderBaseConf(params: Record<string, string | number>, logDir: string): string {
  const lines = Object.entries(params).map(([k, v]) => `${k} = ${v}`);
  lines.push(`log_directory = '${logDir}'`);
  return `# Written by cfy_manager.\n${lines.join('\n')}\n`;
}

export function renderPatroniConfig(config: Config, ip: string): string {
  const c = config.postgresql_server.cluster;
  const f = c.failover;
  const pw = (v: string | number) => String(v);
  const ssl = { sslmode: 'verify-full', sslrootcert: PATRONI_CA };
  const doc = {
    scope: 'postgres',
    namespace: '/db/',
    name: patroniName(ip),
    log: { dir: `${DB_CLUSTER_LOG_DIR}/patroni`, level: 'INFO' },
    restapi: {
      listen: `${urlHost(ip)}:${PATRONI_PORT}`,
      connect_address: `${urlHost(ip)}:${PATRONI_PORT}`,
      authentication: { username: c.patroni.rest_user, password: pw(c.patroni.rest_password) },
      cafile: PATRONI_CA,
      certfile: PATRONI_REST_CERT,
      keyfile: PATRONI_REST_KEY,
      verify_client: 'required',
    },
    // patronictl and Patroni's calls to the other members present this certificate.
    ctl: { cacert: PATRONI_CA, certfile: PATRONI_REST_CERT, keyfile: PATRONI_REST_KEY },
    // The local member first, and no discovery (use_proxies): Patroni talks to its own node's etcd while
    // it answers, and to the others in this order when it does not. With discovery it picks a member at
    // random, which may be the one on a node cut off the network.
    etcd3: {
      hosts: [ip, ...clusterIps(config).filter((x) => x !== ip)].map(
        (x) => `${urlHost(x)}:${ETCD_CLIENT_PORT}`,
      ),
      use_proxies: true,
      protocol: 'https',
      cacert: ETCD_CA,
      username: 'patroni',
      password: pw(c.etcd.patroni_password),
    },
    bootstrap: {
      dcs: {
        ttl: f.ttl,
        loop_wait: f.loop_wait,
        retry_timeout: f.retry_timeout,
        maximum_lag_on_failover: 0,
        synchronous_mode: true,
        synchronous_mode_strict: true,
        check_timeline: true,
        postgresql: {
          use_pg_rewind: true,
          parameters: {
            // Not the data dir (Cloudify's '.'): pg_basebackup would copy the leader's socket lock file,
            // whose PID may name a live process on the replica, and PostgreSQL would refuse to start.
            unix_socket_directories: PATRONI_DIR,
            synchronous_commit: 'on',
            ssl: 'on',
            ssl_ca_file: PATRONI_CA,
            ssl_cert_file: PATRONI_DB_CERT,
            ssl_key_file: PATRONI_DB_KEY,
            ssl_ciphers: 'HIGH',
            wal_log_hints: 'on',
            // A replica whose primary died retries the new one after 1 s, not PostgreSQL's 5 s: in strict
            // synchronous mode no commit passes until a replica streams from the promoted leader.
            wal_retrieve_retry_interval: '1s',
          },
          pg_hba: pgHba(config),
        },
      },
      initdb: [{ encoding: 'UTF8' }, 'data-checksums'],
    },
    postgresql: {
      listen: `${urlHost(ip)}:${PG_PORT}`,
      connect_address: `${urlHost(ip)}:${PG_PORT}`,
      data_dir: PATRONI_DATA,
      bin_dir: PG_BIN,
      pgpass: `${PATRONI_DIR}/pgpass`,
      log_file_mode: '0644',
      authentication: {
        replication: { username: 'replicator', password: pw(c.postgres.replicator_password), ...ssl },
        superuser: { username: 'postgres', password: pw(config.postgresql_server.postgres_password), ...ssl },
        rewind: { username: 'postgres', password: pw(config.postgresql_server.postgres_password), ...ssl },
      },
      custom_conf: PATRONI_BASE_CONF,
      use_pg_rewind: true,
      remove_data_directory_on_rewind_failure: true,
      remove_data_directory_on_diverged_timelines: true,
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return `# Written by cfy_manager configure; rewritten on every configure.\n${stringify(doc)}`;
}
