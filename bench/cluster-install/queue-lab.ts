// Three broker nodes installed in a lab the way the cluster guide says: test certificates made on the first
// node and copied to the others, the guide's queue config.yaml on each node, then `cfy_manager install`
// one node after the other. Shared by test/installer/queue-cluster-lab.test.ts and the bench.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { fsRoot } from '../../src/lab/nodes.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';

export const CFY_MANAGER = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));
export const QUEUE_NODES = ['queue1', 'queue2', 'queue3'];
export const RABBIT_USER = 'cloudify';
export const RABBIT_PASSWORD = 'areallystrongandsecretpasswordforrabbit';
export const ERLANG_COOKIE = 'anothersecurepasswordlikestring';

export interface QueueLab {
  t: TestLab;
  ips: Record<string, string>;
  /** Host path of a file inside a node. */
  path(node: string, p: string): string;
  exec(
    node: string,
    cmd: string[],
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  cfy(
    node: string,
    args: string[],
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * The broker lab of a test file that several scenario modules share: the file's `before` starts and
 * installs it, and the modules read it only inside their hooks and tests.
 */
export interface SharedQueueLab {
  readonly q: QueueLab;
  /** The test CA's directory (~/.cloudify-test-ca of the first node), its certificate read. */
  readonly caDir: string;
  readonly ca: Buffer;
}

export async function startQueueLab(nodes = QUEUE_NODES): Promise<QueueLab> {
  const t = await startTestLab({
    name: 'queue',
    nodes: nodes.map((name) => ({ name, roles: ['queue' as const] })),
  });
  const state = t.lab.requireState();
  const ips = Object.fromEntries(state.topology.nodes.map((n) => [n.name, n.ip]));
  const stateDir = join(t.dir, 'state');
  const exec = (node: string, cmd: string[], timeoutMs = 600_000) => t.lab.exec(node, cmd, { timeoutMs });
  return {
    t,
    ips,
    path: (node, p) => join(fsRoot(stateDir, node), p),
    exec,
    cfy: (node, args, timeoutMs) => exec(node, [CFY_MANAGER, ...args], timeoutMs),
  };
}

function hasCommand(name: string): boolean {
  const r = spawnSync(CFY_MANAGER, ['--help'], { encoding: 'utf8' });
  return new RegExp(`^\\s+${name}\\b`, 'm').test(r.stdout);
}

/** The guide's first-node and other-node config.yaml for a broker (`join_cluster` on the others). */
export function guideQueueConfig(q: QueueLab, node: string, first: string, nodes = QUEUE_NODES) {
  const ca = '/root/.cloudify-test-ca';
  const ip = q.ips[node]!;
  return {
    manager: { private_ip: ip, public_ip: ip },
    rabbitmq: {
      username: RABBIT_USER,
      password: RABBIT_PASSWORD,
      cert_path: `${ca}/${ip}.crt`,
      key_path: `${ca}/${ip}.key`,
      ca_path: `${ca}/ca.crt`,
      cluster_members: Object.fromEntries(nodes.map((n) => [n, { networks: { default: q.ips[n]! } }])),
      nodename: node,
      ...(node === first ? {} : { join_cluster: first }),
      erlang_cookie: ERLANG_COOKIE,
    },
    prometheus: {
      credentials: { username: 'monitoringusername', password: 'longyeteasytorememberstringasapassword' },
      cert_path: `${ca}/${ip}.crt`,
      key_path: `${ca}/${ip}.key`,
      ca_path: `${ca}/ca.crt`,
    },
    services_to_install: ['queue_service', 'monitoring_service'],
  };
}

/** Certificates: `generate-test-cert -s IP,NAME` on the first node when the command exists, else openssl. */
export async function makeCerts(q: QueueLab, nodes = QUEUE_NODES): Promise<string> {
  const first = nodes[0]!;
  if (hasCommand('generate-test-cert')) {
    for (const n of nodes) {
      const r = await q.cfy(first, ['generate-test-cert', '-s', `${q.ips[n]},${n}`]);
      if (r.code !== 0) throw new Error(`generate-test-cert failed: ${r.stderr}`);
    }
  } else {
    const dir = q.path(first, '/root/.cloudify-test-ca');
    mkdirSync(dir, { recursive: true });
    const ssl = (args: string[]) => {
      const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
    };
    ssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.crt',
        '-days',
        '3650',
      ].concat(['-subj', '/CN=Cloudify generated certificate testtest', '-sha256']),
    );
    for (const n of nodes) {
      const ip = q.ips[n]!;
      writeFileSync(join(dir, `${ip}.ext`), `subjectAltName=DNS:${ip},IP:${ip},DNS:${n}\n`);
      ssl([
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${ip}.key`,
        '-out',
        `${ip}.csr`,
        '-subj',
        `/CN=${ip}`,
      ]);
      ssl(
        [
          'x509',
          '-req',
          '-in',
          `${ip}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          `${ip}.crt`,
        ].concat(['-days', '3650', '-sha256', '-extfile', `${ip}.ext`]),
      );
    }
  }
  const src = q.path(first, '/root/.cloudify-test-ca');
  for (const n of nodes.slice(1)) cpSync(src, q.path(n, '/root/.cloudify-test-ca'), { recursive: true });
  return src;
}

export function writeConfigs(q: QueueLab, nodes = QUEUE_NODES): void {
  for (const n of nodes) {
    const p = q.path(n, '/etc/cloudify/config.yaml');
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, stringify(guideQueueConfig(q, n, nodes[0]!, nodes)), { mode: 0o600 });
  }
}

/** `cfy_manager install` on one node. */
export const installNode = (q: QueueLab, node: string) => q.cfy(node, ['install'], 900_000);

export async function installCluster(q: QueueLab, nodes = QUEUE_NODES): Promise<number[]> {
  const times: number[] = [];
  for (const n of nodes) {
    const t0 = Date.now();
    const r = await installNode(q, n);
    if (r.code !== 0) {
      throw new Error(
        `install on ${n} failed (exit ${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
      );
    }
    times.push(Date.now() - t0);
  }
  return times;
}

export const nodeFileExists = (q: QueueLab, node: string, p: string) => existsSync(q.path(node, p));
