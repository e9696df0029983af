// A node = netns (made in net.ts) + UTS, mount and PID namespaces held by the node's init, supervisord.
// The node's private directories are bind-mounted over the host paths the installer writes to;
// everything else (/usr with the packages, the checkout) is the host's, shared read-write.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from './errors.js';
import { childrenOf, isAlive, pidsInNetns, type ProcRef, procRef, signal } from './procs.js';
import { nodeDir } from './state.js';
import type { LabNode } from './topology.js';
import { within } from './within.js';

/** Host directories each node gets its own copy of. /tmp is last: the state dir may live under it. */
export const PRIVATE_DIRS = [
  '/etc/cloudify',
  '/etc/etcd',
  '/etc/patroni',
  '/etc/rabbitmq',
  '/etc/haproxy',
  '/etc/prometheus',
  '/etc/supervisor',
  '/etc/supervisord.d',
  '/var/lib/postgresql',
  '/var/lib/patroni',
  '/var/lib/etcd',
  '/var/lib/rabbitmq',
  '/var/lib/prometheus',
  '/var/log',
  '/root',
  '/run',
  '/tmp',
];
export const PRIVATE_FILES = ['/etc/hosts', '/etc/hostname'];
/**
 * /opt is the node's own too, so that each manager has its own /opt/manager (a plain directory the
 * installer may remove), but every other entry of the host's /opt is bound into it at boot.
 */
const OWN_OPT_ENTRIES = ['manager'];

const SUPERVISORD = '/usr/bin/supervisord';
const SUPERVISORD_CONF = `; The node's init. Written by the lab; programs go in conf.d/ or /etc/supervisord.d/.
[unix_http_server]
file=/run/supervisor.sock
chmod=0700

[supervisord]
nodaemon=true
user=root
logfile=/var/log/supervisor/supervisord.log
pidfile=/run/supervisord.pid
childlogdir=/var/log/supervisor

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///run/supervisor.sock

[include]
files = /etc/supervisor/conf.d/*.conf /etc/supervisord.d/*.conf
`;

const q = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;

/** The project checkout, shared with every node (the installer and its tests run from it). */
const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
/** cfy_manager and cfy, first on a node's PATH as on an installed host (the host's /usr is not touched). */
const NODE_BIN = join(CHECKOUT, 'bin');
const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
/** The PATH of every command run in a node: the lab's bin, the running node's dir, the system dirs. */
export const nodePath = (): string =>
  [...new Set([NODE_BIN, dirname(process.execPath), ...SYSTEM_PATH])].join(':');
/** A login shell's /etc/profile resets PATH; root's ~/.profile in the node puts the lab's bin first again. */
const ROOT_PROFILE = `# Written by the lab: cfy_manager and cfy on the PATH, as on an installed host.
PATH=${q(nodePath())}
export PATH
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
`;

export const fsRoot = (stateDir: string, node: string): string => join(nodeDir(stateDir, node), 'fs');
const sockPath = (stateDir: string, node: string): string =>
  join(fsRoot(stateDir, node), 'run/supervisor.sock');

/** Create the host mount points that are missing; returns what was created, for `down` to remove. */
export function ensureHostMountpoints(): string[] {
  const created: string[] = [];
  for (const d of [...PRIVATE_DIRS, '/opt']) {
    if (!existsSync(d)) {
      mkdirSync(d, { recursive: true });
      created.push(d);
    }
  }
  for (const f of PRIVATE_FILES) {
    if (!existsSync(f)) {
      writeFileSync(f, '');
      created.push(f);
    }
  }
  return created;
}

export function hostsFile(nodes: LabNode[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const n of nodes) lines.push(`${n.ip}\t${n.name}`);
  return `${lines.join('\n')}\n`;
}

/** The node's private tree, owned and moded like the host directory it stands in for. Idempotent. */
export function prepareNodeFs(stateDir: string, node: LabNode, all: LabNode[]): void {
  const root = fsRoot(stateDir, node.name);
  for (const d of PRIVATE_DIRS) {
    const mine = join(root, d);
    const fresh = !existsSync(mine);
    mkdirSync(mine, { recursive: true });
    if (fresh && existsSync(d)) {
      const s = statSync(d);
      chownSync(mine, s.uid, s.gid);
      chmodSync(mine, s.mode & 0o7777);
    }
  }
  chmodSync(join(root, '/tmp'), 0o1777);
  mkdirSync(join(root, '/etc/supervisor/conf.d'), { recursive: true });
  mkdirSync(join(root, '/var/log/supervisor'), { recursive: true });
  writeFileSync(join(root, '/etc/supervisor/supervisord.conf'), SUPERVISORD_CONF);
  writeFileSync(join(root, '/etc/hosts'), hostsFile(all));
  writeFileSync(join(root, '/etc/hostname'), `${node.name}\n`);
  const profile = join(root, '/root/.profile');
  if (!existsSync(profile)) writeFileSync(profile, ROOT_PROFILE);
}

/** Runs inside the new namespaces, before supervisord: hostname, then the private binds. */
export function bootScript(stateDir: string, node: string, checkout = CHECKOUT): string {
  const root = fsRoot(stateDir, node);
  const binds = [...PRIVATE_FILES, ...PRIVATE_DIRS].flatMap((p) => {
    const rel = relative(p, checkout);
    if (rel === '' || rel.startsWith('..')) return [`mount --bind ${q(join(root, p))} ${q(p)}`];
    // The checkout lives under a private dir (a clone in /tmp or /root): mount it inside the node's copy
    // first, then bind the copy with its submounts, so the node still sees the checkout at its path.
    const inside = join(root, p, rel);
    return [
      `mkdir -p ${q(inside)}`,
      `mount --bind ${q(checkout)} ${q(inside)}`,
      `mount --rbind ${q(join(root, p))} ${q(p)}`,
    ];
  });
  return [
    'set -e',
    `hostname ${q(node)}`,
    ...optScript(root),
    ...binds,
    `exec ${SUPERVISORD} -n -c /etc/supervisor/supervisord.conf`,
  ].join('\n');
}

/** The node's /opt: the host's entries bound in (files and dirs alike), except the node's own ones. */
function optScript(root: string): string[] {
  const mine = join(root, 'opt');
  const own = OWN_OPT_ENTRIES.map((e) => `[ "$e" = ${q(e)} ] && continue`).join('; ');
  return [
    `mkdir -p ${q(mine)}`,
    `for p in /opt/* /opt/.[!.]*; do [ -e "$p" ] || continue; e=\${p##*/}; ${own}; ` +
      `if [ -d "$p" ]; then mkdir -p ${q(mine)}/"$e"; else touch ${q(mine)}/"$e"; fi; ` +
      `mount --rbind "$p" ${q(mine)}/"$e"; done`,
    `mount --rbind ${q(mine)} /opt`,
  ];
}

/** Start the node's init in fresh UTS, mount and PID namespaces inside its netns. */
export async function bootNode(stateDir: string, node: string, netns: string, timeoutMs = 15_000) {
  if (!existsSync(SUPERVISORD)) {
    throw new LabError('supervisord is not installed', {
      fix: 'apt-get install supervisor (lab up does it when root)',
    });
  }
  rmSync(sockPath(stateDir, node), { force: true });
  const logPath = join(nodeDir(stateDir, node), 'boot.log');
  const log = openSync(logPath, 'a');
  const args = ['netns', 'exec', netns, 'unshare', '--uts', '--mount', '--pid', '--fork', '--mount-proc'];
  args.push('--propagation', 'private', '--', '/bin/sh', '-c', bootScript(stateDir, node));
  // `ip netns exec` and `unshare` exec in place, so the child's PID is the holder's; init is its only child.
  const child = spawn('ip', args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const holder = procRef(child.pid!);
  if (!holder) throw new LabError(`node ${node} failed to start; see ${logPath}`);
  const init = await within(
    timeoutMs,
    () => {
      if (!isAlive(holder)) throw new LabError(`node ${node} exited during boot: ${tail(logPath)}`);
      const pid = childrenOf(holder.pid)[0];
      return pid && existsSync(sockPath(stateDir, node)) ? procRef(pid) : undefined;
    },
    (r) => r !== undefined,
    `boot of node ${node}`,
  ).catch((err) => {
    if (err instanceof LabError) throw err;
    throw new LabError(`${(err as Error).message}; see ${logPath}`);
  });
  return { holder, init: init! };
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}

/**
 * Graceful: SIGTERM to supervisord, which stops its programs and exits, which ends the PID namespace.
 * Whatever is still in the netns after the deadline (an `ip netns exec` straggler, an epmd) gets TERM, then KILL.
 */
export async function stopNode(init: ProcRef | undefined, netnsIno: number | undefined, graceMs = 10_000) {
  if (isAlive(init)) {
    signal(init!.pid, 'SIGTERM');
    await within(graceMs, () => !isAlive(init), Boolean, 'supervisord exit').catch(() => undefined);
  }
  if (netnsIno === undefined) return;
  for (const pid of pidsInNetns(netnsIno)) signal(pid, 'SIGTERM');
  await within(2_000, () => pidsInNetns(netnsIno).length === 0, Boolean, 'TERM of leftovers').catch(
    () => undefined,
  );
  await killNode(init, netnsIno);
}

/** SIGKILL of init (the kernel then kills its whole PID namespace) and of anything else in the netns. */
export async function killNode(init: ProcRef | undefined, netnsIno: number | undefined, timeoutMs = 10_000) {
  if (isAlive(init)) signal(init!.pid, 'SIGKILL');
  if (netnsIno === undefined) return;
  await within(
    timeoutMs,
    () => {
      const left = pidsInNetns(netnsIno);
      for (const pid of left) signal(pid, 'SIGKILL');
      return left.length === 0;
    },
    Boolean,
    'every process of the node gone',
  );
}
