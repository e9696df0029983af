// queue_service: RabbitMQ 3.10 as a supervisord program, TLS only, clustered with join_cluster
// (reference §5.1-5.4). configure() re-renders every file and restarts the broker; the destructive steps
// (mnesia wipe, definitions) run only on the first configure, and a node already in the cluster of its
// join_cluster node is not reset again.
import { lookup } from 'node:dns/promises';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { deployTriple, lookupIds, timestamp } from '../../certs/deploy.js';
import { checkCertTriple } from '../../config/validate.js';
import { ValidationError } from '../../errors.js';
import { run } from '../../exec.js';
import { Logger, redact } from '../../log.js';
import * as supervisor from '../../services/supervisor.js';
import type { Component } from '../types.js';
import {
  erlangCookie,
  fullNodeName,
  memberAddress,
  nodeHost,
  type QueueConfig,
  rabbitNodename,
  validateQueueSection,
} from './config.js';
import { clusterStatus, ctl, joinCluster, waitForBroker } from './ctl.js';
import {
  ADVANCED_CONFIG,
  ENABLED_PLUGINS,
  hostsBlock,
  PATHS,
  PROGRAM,
  rabbitEnv,
  renderDefinitions,
  renderEnvConf,
  renderRabbitmqConf,
  renderStartScript,
} from './files.js';
import { listRabbitNodes, type MgmtTarget } from './management.js';

const log = new Logger('rabbitmq');

export const SERVICE = 'queue_service';
export const PROGRAM_FILE = supervisor.programFile(PROGRAM);

interface Ids {
  uid: number;
  gid: number;
}

function writeOwned(path: string, text: string, mode: number, ids?: Ids): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  if (ids) chownSync(path, ids.uid, ids.gid);
}

export async function resolves(name: string): Promise<boolean> {
  try {
    await lookup(name);
    return true;
  } catch {
    return false;
  }
}

/** The management API of this node, as `brokers list` and the join poll reach it. */
export function localTarget(cfg: QueueConfig): MgmtTarget {
  const r = cfg.rabbitmq;
  const host = nodeHost(rabbitNodename(r));
  let addr = memberAddress(r, host);
  if (!addr) {
    log.warning(`No address for ${host} in rabbitmq.cluster_members; using ${host}`);
    addr = host;
  }
  const caFile = existsSync(PATHS.ca) ? PATHS.ca : r.ca_path;
  if (!caFile || !existsSync(caFile)) {
    throw new ValidationError('The broker CA certificate is missing', {
      fix: `set rabbitmq.ca_path, or run cfy_manager install first (it copies it to ${PATHS.ca})`,
    });
  }
  return { host: addr, username: r.username, password: String(r.password), ca: readFileSync(caFile) };
}

/** Checks that need the host (name resolution) but change nothing. */
export async function validateQueue(cfg: QueueConfig): Promise<void> {
  const r = cfg.rabbitmq;
  const names = [
    ...Object.keys(r.cluster_members ?? {}),
    ...(r.join_cluster ? [nodeHost(r.join_cluster)] : []),
  ];
  const ok = new Set<string>();
  for (const n of names) if (await resolves(n)) ok.add(n);
  const errors = validateQueueSection(r, (n) => ok.has(n));
  for (const [name, path] of [
    ['cert_path', r.cert_path],
    ['key_path', r.key_path],
    ['ca_path', r.ca_path],
  ] as const) {
    if (path && !existsSync(path)) errors.push(`rabbitmq.${name}: ${path} does not exist`);
  }
  if (errors.length) {
    throw new ValidationError(`Validation error(s) in the rabbitmq section:\n${errors.join('\n')}`);
  }
  if (r.cert_path && r.key_path && r.ca_path) await checkCertTriple(r.cert_path, r.key_path, r.ca_path);
}

export interface ConfigureOptions {
  /** queue_service was configured before (its .configured marker exists): no mnesia wipe, no definitions. */
  configuredBefore: boolean;
}

type RabbitSection = QueueConfig['rabbitmq'];

export async function configureQueue(cfg: QueueConfig, opts: ConfigureOptions): Promise<void> {
  const r = cfg.rabbitmq;
  redact(String(r.password), r.erlang_cookie ? String(r.erlang_cookie) : undefined);
  await validateQueue(cfg);
  const ids = await lookupIds('rabbitmq');
  log.info('Configuring RabbitMQ...');
  prepareDirs(ids);

  // Erlang cookie
  const cookie = erlangCookie(r);
  redact(cookie);
  writeOwned(PATHS.cookie, cookie, 0o600, ids);

  // Node name and the hosts file
  const nodename = rabbitNodename(r);
  log.info(`RabbitMQ node name: ${nodename}`);
  await addMissingHosts(r);

  // Certificates
  await deployTriple(
    { cert: r.cert_path!, key: r.key_path!, ca: r.ca_path! },
    { cert: PATHS.cert, key: PATHS.key, ca: PATHS.ca },
    'rabbitmq',
  );

  const first = !(r.join_cluster ?? '').trim();
  if (!opts.configuredBefore) await resetBroker(r, ids, first);
  writeConfigFiles(r, ids, nodename);
  await writeProgramAndStart();
  if (first && !opts.configuredBefore) await deleteGuest();
  if (!first) await joinIfNeeded(cfg, nodename);
  log.info('RabbitMQ configured.');
}

function prepareDirs(ids: Ids): void {
  for (const d of [PATHS.confDir, PATHS.logDir]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, 0, ids.gid);
    chmodSync(d, 0o750);
  }
  chownSync(PATHS.logDir, ids.uid, ids.gid);
  mkdirSync(PATHS.home, { recursive: true });
  chownSync(PATHS.home, ids.uid, ids.gid);
}

/** Adds to /etc/hosts (after a backup) the cluster members whose names do not resolve. */
async function addMissingHosts(r: RabbitSection): Promise<void> {
  const missing: { name: string; ip: string }[] = [];
  for (const name of Object.keys(r.cluster_members ?? {})) {
    if (await resolves(name)) continue;
    const ip = memberAddress(r, name);
    if (ip) missing.push({ name, ip });
  }
  if (missing.length) {
    const hosts = readFileSync('/etc/hosts', 'utf8');
    writeFileSync(`/etc/hosts.bak-${timestamp()}`, hosts);
    writeFileSync('/etc/hosts', `${hosts.endsWith('\n') ? hosts : `${hosts}\n`}${hostsBlock(missing)}`);
    log.info(`Added ${missing.map((m) => m.name).join(', ')} to /etc/hosts`);
  }
}

/** The first configure only: stop, wipe mnesia, and (on the first node) write the definitions. */
async function resetBroker(r: RabbitSection, ids: Ids, first: boolean): Promise<void> {
  await supervisor.stop(PROGRAM);
  rmSync(PATHS.mnesia, { recursive: true, force: true });
  rmSync(PATHS.oldErlangConfig, { force: true });
  rmSync(PATHS.definitions, { force: true });
  if (first) {
    const { json, dropped } = renderDefinitions({ ...r, password: String(r.password) });
    for (const d of dropped) {
      log.warning(`Policy key dropped: ${d} (classic mirrored queues are replaced by quorum queues)`);
    }
    writeOwned(PATHS.definitions, json, 0o600, ids);
  }
}

/** Config files and the wrapper script. */
function writeConfigFiles(r: RabbitSection, ids: Ids, nodename: string): void {
  const tls = { cert: PATHS.cert, key: PATHS.key, ca: PATHS.ca };
  writeOwned(PATHS.conf, renderRabbitmqConf({ tls, definitions: existsSync(PATHS.definitions) }), 0o640, {
    uid: 0,
    gid: ids.gid,
  });
  writeOwned(PATHS.advanced, ADVANCED_CONFIG, 0o640, { uid: 0, gid: ids.gid });
  writeOwned(PATHS.plugins, ENABLED_PLUGINS, 0o640, { uid: 0, gid: ids.gid });
  writeOwned(PATHS.envConf, renderEnvConf(nodename, Boolean(r.use_long_name)), 0o644);
  writeOwned(PATHS.startScript, renderStartScript(r.fd_limit ?? 102400), 0o755, { uid: 0, gid: 0 });
}

/** The supervisord program, then a (re)start that reads the re-rendered files. */
async function writeProgramAndStart(): Promise<void> {
  const before = existsSync(PROGRAM_FILE) ? readFileSync(PROGRAM_FILE, 'utf8') : '';
  supervisor.writeProgram({
    name: PROGRAM,
    command: `/bin/sh ${PATHS.startScript}`,
    user: 'rabbitmq',
    directory: PATHS.home,
    environment: rabbitEnv(),
    umask: '0027',
    exitcodes: '0,69',
    startsecs: 1, // supervisor.verifyAlive allows 3 s; waitForBroker is the real readiness check
    stopwaitsecs: 60,
    logFile: PATHS.log,
  });
  if (readFileSync(PROGRAM_FILE, 'utf8') === before) {
    await startQueue(); // same program: restart so that the re-rendered files are read
  } else {
    // A new or changed program: `update` (re)starts it; a restart on top would stop a booting broker.
    log.info('Starting RabbitMQ...');
    await supervisor.start(PROGRAM);
    await waitForBroker(ctl);
  }
}

async function deleteGuest(): Promise<void> {
  const users = await ctl(['list_users', '--formatter', 'json'], { ignoreFailure: true });
  if (users.stdout.includes('"guest"')) {
    await ctl(['delete_user', 'guest'], { ignoreFailure: true });
    log.info('Deleted the default guest user');
  }
}

/** Joins the cluster of join_cluster, unless this node is already one of its disc nodes. */
async function joinIfNeeded(cfg: QueueConfig, nodename: string): Promise<void> {
  const joinNode = fullNodeName(cfg.rabbitmq.join_cluster!.trim());
  const status = await clusterStatus(ctl);
  if (status.disk.includes(joinNode)) {
    log.info(`Already in the cluster of ${joinNode}`);
  } else {
    const target = localTarget(cfg);
    await joinCluster(ctl, nodename, joinNode, async () => (await listRabbitNodes(target))?.nodes);
  }
}

export async function startQueue(): Promise<void> {
  log.info('Starting RabbitMQ...');
  await supervisor.restart(PROGRAM);
  await waitForBroker(ctl);
}

export async function stopQueue(): Promise<void> {
  log.info('Stopping RabbitMQ...');
  await supervisor.stop(PROGRAM);
}

/**
 * The epmd that this node's broker started survives the broker. Cloudify runs `epmd -kill`; we signal it
 * by PID instead, and only an epmd of the rabbitmq user in our own network namespace with no node left
 * registered.
 */
export async function stopOwnEpmd(): Promise<void> {
  let ids: Ids;
  try {
    ids = await lookupIds('rabbitmq');
  } catch {
    return;
  }
  const names = await run(['epmd', '-names'], { ignoreFailure: true });
  if (/^name /m.test(names.stdout)) {
    log.warning('epmd still has registered nodes; left running');
    return;
  }
  const ownNet = readlinkSafe('/proc/self/ns/net');
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 'epmd') continue;
      if (readlinkSafe(`/proc/${e}/ns/net`) !== ownNet) continue;
      if (statSync(`/proc/${e}`).uid !== ids.uid) continue;
      process.kill(Number(e), 'SIGTERM');
      log.debug(`Stopped epmd (pid ${e})`);
    } catch {
      // gone meanwhile
    }
  }
}

function readlinkSafe(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

/** §9.3: stop, drop the program, stop this node's epmd (it refuses while a node is registered), wipe data. */
export async function removeQueue(): Promise<void> {
  log.info('Removing RabbitMQ...');
  await supervisor.removeProgram(PROGRAM);
  await stopOwnEpmd();
  // /var/lib/rabbitmq and /etc/rabbitmq may be mount points (lab nodes): empty them, keep the dirs.
  for (const dir of [PATHS.home, '/etc/rabbitmq']) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const e of readdirSync(dir)) rmSync(join(dir, e), { recursive: true, force: true });
  }
  rmSync(PATHS.confDir, { recursive: true, force: true });
}

/** The registry entry (components/index.ts). */
export const rabbitmq: Component = {
  name: 'rabbitmq',
  service: 'queue_service',
  packages: () => [{ name: 'rabbitmq-server', version: '3.10.' }],
  validate: (ctx) => validateQueue(ctx.config),
  configure: (ctx) =>
    configureQueue(ctx.config, { configuredBefore: ctx.configuredBefore.includes('queue_service') }),
  start: () => startQueue(),
  stop: () => stopQueue(),
  remove: () => removeQueue(),
};
