// Configuring a DB cluster node (reference §4.3): certificates, etcd (auth set up once under a lock, the
// join of a running cluster with state `existing`), then Patroni. Each step narrates what it decided.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { deployTriple, lookupIds } from '../../certs/deploy.js';
import { has } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { BootstrapError, ClusteringError } from '../../errors.js';
import type { Logger } from '../../log.js';
import {
  DB_CLUSTER_LOG_DIR,
  ETCD_CA,
  ETCD_CERT,
  ETCD_CONF,
  ETCD_DATA,
  ETCD_DIR,
  ETCD_KEY,
  PATRONI_BASE_CONF,
  PATRONI_CA,
  PATRONI_CONF,
  PATRONI_DATA,
  PATRONI_DB_CERT,
  PATRONI_DB_KEY,
  PATRONI_DIR,
  PATRONI_REST_CERT,
  PATRONI_REST_KEY,
  SSL_DIR,
  SYSTEM_PYTHON,
} from '../../paths.js';
import { httpsRequest, portOpen } from '../../services/https.js';
import * as supervisor from '../../services/supervisor.js';
import {
  clusterIps,
  ETCD_PEER_PORT,
  etcdName,
  joinHbaLines,
  ownClusterIp,
  PATRONI_PORT,
  pgParams,
  renderBaseConf,
  renderEtcdConf,
  renderPatroniConfig,
  urlHost,
} from './cluster-files.js';
import { authState, type Etcdctl, etcdctl } from './etcd.js';
import { ETCD_GATE, renderEtcdGate } from './patroni-gate.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function requireOwnIp(config: Config): string {
  const ip = ownClusterIp(config);
  if (!ip) {
    throw new BootstrapError(
      `Could not match this node with any cluster node members. This node's private IP (${config.manager.private_ip}) and public IP (${config.manager.public_ip}) must be the ip of one entry of postgresql_server.cluster.nodes.`,
    );
  }
  return ip;
}

/** Empty a directory without removing it (in a lab node it is a mount point). */
export function emptyDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
}

async function ownedDir(dir: string, user: string, mode: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = await lookupIds(user);
  chownSync(dir, uid, gid);
  chmodSync(dir, mode);
}

async function writeOwned(
  path: string,
  text: string,
  user: string,
  group: string,
  mode: number,
): Promise<void> {
  writeFileSync(path, text, { mode });
  const { uid } = await lookupIds(user);
  const { gid } = await lookupIds(group);
  chownSync(path, uid, gid);
  chmodSync(path, mode);
}

export async function deployClusterCerts(config: Config): Promise<void> {
  const s = config.postgresql_server;
  const src = { cert: s.cert_path, key: s.key_path, ca: s.ca_path };
  mkdirSync(ETCD_DIR, { recursive: true });
  chmodSync(ETCD_DIR, 0o755);
  await deployTriple(src, { cert: ETCD_CERT, key: ETCD_KEY, ca: ETCD_CA }, 'etcd');
  await ownedDir(PATRONI_DIR, 'postgres', 0o750);
  await deployTriple(src, { cert: PATRONI_REST_CERT, key: PATRONI_REST_KEY, ca: PATRONI_CA }, 'postgres');
  await deployTriple(src, { cert: PATRONI_DB_CERT, key: PATRONI_DB_KEY }, 'postgres');
  mkdirSync(SSL_DIR, { recursive: true });
  await deployTriple(
    src,
    {
      cert: `${SSL_DIR}/postgresql_server.crt`,
      key: `${SSL_DIR}/postgresql_server.key`,
      ca: `${SSL_DIR}/postgresql_ca.crt`,
    },
    'root',
  );
}

export function etcdProgram(): supervisor.Program {
  return {
    name: 'etcd',
    // The conf holds the cluster token, so it is sourced here rather than put in the supervisord file.
    command: `/bin/sh -c "set -a; . ${ETCD_CONF}; exec /usr/bin/etcd"`,
    user: 'etcd',
    directory: ETCD_DATA,
    logFile: `${DB_CLUSTER_LOG_DIR}/etcd.log`,
    startsecs: 1,
    stopwaitsecs: 15,
  };
}

export function patroniProgram(): supervisor.Program {
  return {
    name: 'patroni',
    // Debian's python: the python3 on PATH may be another one that cannot import patroni.
    command: `${SYSTEM_PYTHON} ${ETCD_GATE} ${PATRONI_CONF}`,
    user: 'postgres',
    directory: PATRONI_DIR,
    environment: { HOME: '/var/lib/postgresql' },
    logFile: `${DB_CLUSTER_LOG_DIR}/patroni.log`,
    startsecs: 1,
    stopwaitsecs: 60,
    stopsignal: 'TERM',
  };
}

/** The etcd auth setup, once per cluster: whoever creates the lock role does it (reference §4.3 step 3). */
async function setupAuth(ctl: Etcdctl, config: Config, log: Logger): Promise<void> {
  const lock = await ctl(['role', 'add', 'cloudifyauthsetup']);
  if (lock.code !== 0) {
    if (/already exists/.test(lock.stderr)) log.info('Another node is configuring etcd authentication.');
    else if (/user name is empty|permission denied|authentication/i.test(lock.stderr))
      log.info('Etcd authentication is already configured.');
    else throw new ClusteringError(`Could not take the etcd auth setup lock: ${lock.stderr.trim()}`);
    return;
  }
  const etcd = config.postgresql_server.cluster.etcd;
  const step = async (args: string[], input?: string) => {
    const r = await ctl(args, input ? { input } : {});
    if (r.code !== 0 && !/already exists/.test(r.stderr)) {
      throw new ClusteringError(`etcdctl ${args.slice(0, 3).join(' ')} failed: ${r.stderr.trim()}`);
    }
  };
  await step(['user', 'add', 'root', '--interactive=false'], `${etcd.root_password}\n`);
  await step(['user', 'grant-role', 'root', 'root']);
  await step(['user', 'add', 'patroni', '--interactive=false'], `${etcd.patroni_password}\n`);
  await step(['role', 'add', 'patroni']);
  await step(['role', 'grant-permission', 'patroni', '--prefix=true', 'readwrite', '/db/']);
  await step(['user', 'grant-role', 'patroni', 'patroni']);
  await step(['auth', 'enable']);
  const unlock = await ctl(['role', 'delete', 'cloudifyauthsetup'], { asRoot: true });
  if (unlock.code !== 0) log.warning(`Could not remove the etcd lock role: ${unlock.stderr.trim()}`);
  log.info('Etcd authentication configured.');
}

/** A node joining a cluster that already has auth: DCS pg_hba, then etcd membership (reference §4.3 step 4). */
async function joinRunningCluster(ctl: Etcdctl, config: Config, ip: string, log: Logger): Promise<void> {
  let dcs: { postgresql?: { pg_hba?: string[] } } | undefined;
  for (let i = 0; i < 20 && !dcs; i++) {
    const r = await ctl(['get', '/db/postgres/config', '--print-value-only'], {
      asRoot: true,
      endpoints: clusterIps(config),
    });
    if (r.code === 0 && r.stdout.trim()) dcs = JSON.parse(r.stdout) as typeof dcs;
    else if (r.code === 0)
      break; // the cluster is not bootstrapped yet; its bootstrap hba lists every node
    else await sleep(3000);
  }
  const hba = dcs?.postgresql?.pg_hba;
  if (dcs && hba && !hba.some((l) => l.includes(` ${ip}/`))) {
    dcs.postgresql!.pg_hba = [...joinHbaLines(ip), ...hba];
    const put = await ctl(['put', '/db/postgres/config'], {
      asRoot: true,
      input: JSON.stringify(dcs),
      endpoints: clusterIps(config),
    });
    if (put.code !== 0)
      throw new ClusteringError(`Could not update the cluster's pg_hba: ${put.stderr.trim()}`);
    log.info(`Added ${ip} to the cluster's pg_hba.`);
  }
  // As root: with auth on, an anonymous health probe is refused and would look unhealthy.
  const health = await ctl(['endpoint', 'health'], { asRoot: true });
  if (health.code === 0) {
    log.info('Etcd on this node is a healthy cluster member.');
    return;
  }
  const others = clusterIps(config).filter((x) => x !== ip);
  let cluster: string | undefined;
  for (let i = 0; i < 15 && !cluster; i++) {
    const r = await ctl(
      ['member', 'add', etcdName(ip), `--peer-urls=https://${urlHost(ip)}:${ETCD_PEER_PORT}`],
      {
        asRoot: true,
        endpoints: others,
      },
    );
    if (r.code === 0) cluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(r.stdout)?.[1];
    else if (/Peer URLs already exists|peerURL exists/i.test(r.stderr)) cluster = '';
    else await sleep(2000);
  }
  if (cluster === undefined) {
    throw new BootstrapError(
      'Failed to join etcd cluster. If this node is being reinstalled you may need to uninstall it then run the DB node removal command on a healthy DB node before attempting to install again.',
    );
  }
  log.info(`Joining the etcd cluster as ${etcdName(ip)} (state existing).`);
  await writeOwned(
    ETCD_CONF,
    renderEtcdConf(config, ip, 'existing', cluster || undefined),
    'etcd',
    'etcd',
    0o440,
  );
  await supervisor.stop('etcd');
  emptyDir(ETCD_DATA);
  await supervisor.restart('etcd');
}

/** Can a quorum form at all? If fewer than a majority of peers even listen, this is an early node. */
async function quorumPossible(config: Config, ip: string): Promise<boolean> {
  const ips = clusterIps(config);
  const open = await Promise.all(ips.filter((x) => x !== ip).map((x) => portOpen(x, ETCD_PEER_PORT, 1000)));
  return open.filter(Boolean).length + 1 > ips.length / 2;
}

export async function configureEtcd(config: Config, ip: string, log: Logger): Promise<boolean> {
  await ownedDir(ETCD_DATA, 'etcd', 0o700);
  if (
    !existsSync(ETCD_CONF) ||
    !readFileSync(ETCD_CONF, 'utf8').includes("ETCD_INITIAL_CLUSTER_STATE='existing'")
  ) {
    await writeOwned(ETCD_CONF, renderEtcdConf(config, ip, 'new'), 'etcd', 'etcd', 0o440);
  }
  supervisor.writeProgram(etcdProgram());
  await supervisor.update();
  await supervisor.start('etcd').catch((err) => log.debug(`etcd start: ${(err as Error).message}`));
  const ctl = etcdctl(config, ip);
  let state: 'no-auth' | 'auth' | 'down' = 'down';
  for (let i = 0; i < 5; i++) {
    // Every member is asked, as Cloudify does: a node re-joining a running cluster finds it even
    // though its own fresh etcd cannot (it would try to bootstrap a cluster of its own).
    state = await authState(ctl, clusterIps(config));
    if (state !== 'down') break;
    if (!(await quorumPossible(config, ip))) break;
    await sleep(3000);
  }
  if (state === 'down') {
    log.warning(
      'Could not finish etcd configuration. If the majority of cluster nodes are not yet installed then this warning can be ignored.',
    );
    log.debug('ClusteringError: Etcd not up yet, this is likely the first node.');
    return false;
  }
  if (state === 'no-auth') await setupAuth(ctl, config, log);
  else await joinRunningCluster(ctl, config, ip, log);
  return true;
}

/** etcd's cluster version as seen by this node (`3.4.0`), or undefined. */
export async function etcdClusterVersion(ip: string): Promise<string | undefined> {
  const r = await httpsRequest(`https://${urlHost(ip)}:2379/version`, {
    tls: { ca: ETCD_CA },
    timeoutMs: 3000,
  });
  return typeof r?.json?.etcdcluster === 'string' ? r.json.etcdcluster : undefined;
}

const atLeast33 = (v: string | undefined) => {
  const [a, b] = (v ?? '0.0').split('.').map(Number);
  return a! > 3 || (a === 3 && b! >= 3);
};

export async function configurePatroni(
  config: Config,
  ip: string,
  log: Logger,
  waitForRunning: boolean,
): Promise<void> {
  await ownedDir(PATRONI_DIR, 'postgres', 0o750);
  mkdirSync(PATRONI_DATA, { recursive: true });
  await ownedDir(PATRONI_DATA, 'postgres', 0o700);
  await ownedDir(`${DB_CLUSTER_LOG_DIR}/patroni`, 'postgres', 0o750);
  await ownedDir(`${DB_CLUSTER_LOG_DIR}/postgres`, 'postgres', 0o750);
  mkdirSync('/etc/patroni', { recursive: true, mode: 0o755 });
  const current = () =>
    [PATRONI_CONF, PATRONI_BASE_CONF, ETCD_GATE]
      .map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : ''))
      .join('\0');
  const before = current();
  await writeOwned(PATRONI_CONF, renderPatroniConfig(config, ip), 'root', 'postgres', 0o640);
  const params = pgParams(config, totalmem(), has(config, 'manager_service'));
  await writeOwned(
    PATRONI_BASE_CONF,
    renderBaseConf(params, `${DB_CLUSTER_LOG_DIR}/postgres`),
    'postgres',
    'postgres',
    0o640,
  );
  await writeOwned(ETCD_GATE, renderEtcdGate(ip), 'root', 'postgres', 0o750);
  supervisor.writeProgram(patroniProgram());
  // A re-run must not restart a running member (a restarted leader hands over leadership): supervisord's
  // update restarts it only if the program itself changed, and a changed config is reloaded with SIGHUP.
  if (await supervisor.isActive('patroni')) {
    await supervisor.update();
    if (current() !== before) {
      log.info('Patroni configuration changed; reloading it.');
      await supervisor.signal('patroni', 'HUP');
    } else {
      log.info('Patroni is already running with this configuration; not restarted.');
    }
  } else {
    await supervisor.restart('patroni');
  }
  if (!waitForRunning) {
    log.info('Patroni started; it will bootstrap or join once the etcd cluster has a quorum.');
    return;
  }
  const version = await etcdClusterVersion(ip);
  if (!atLeast33(version)) {
    log.info(
      `Patroni will start once every etcd member has joined (etcd cluster version now ${version ?? 'unknown'}); install the remaining DB nodes.`,
    );
    return;
  }
  // With a DCS quorum, wait (bounded) until this member runs PostgreSQL, so that `install` ending means
  // this node is a working leader or replica.
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await httpsRequest(`https://${urlHost(ip)}:${PATRONI_PORT}/patroni`, {
      tls: { ca: PATRONI_CA, cert: PATRONI_REST_CERT, key: PATRONI_REST_KEY },
      timeoutMs: 3000,
    });
    last = r?.json ? `${r.json.role} ${r.json.state}` : 'no answer';
    if (r?.json?.state === 'running') {
      log.info(`Patroni member ${ip} is running as ${r.json.role}.`);
      return;
    }
    await sleep(1000);
  }
  throw new ClusteringError(`Patroni on ${ip} did not reach the running state within 180 s (last: ${last}).`);
}

export async function configureCluster(config: Config, log: Logger): Promise<void> {
  const ip = requireOwnIp(config);
  log.info(`Configuring DB cluster node ${ip} (${etcdName(ip)})`);
  await deployClusterCerts(config);
  const quorum = await configureEtcd(config, ip, log);
  await configurePatroni(config, ip, log, quorum);
}
