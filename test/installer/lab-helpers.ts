// Operator actions on installer labs, shared by the lab suites and bench/cluster-install.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installSequence } from '../../src/lab/install.js';
import type { ExecResult, Lab } from '../../src/lab/lab.js';
import { fsRoot } from '../../src/lab/nodes.js';
import type { Role } from '../../src/lab/topology.js';

/**
 * The lab of a test file that several scenario modules share: the file's `before` starts it, and the
 * modules read `lab` only inside their hooks and tests.
 */
export interface LabRef {
  readonly lab: Lab;
}

/** The guide's three database nodes, as the lab topologies name them. */
export const DB_NODES = ['db1', 'db2', 'db3'];

export const CFY = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));

export function cfy(lab: Lab, node: string, args: string[], timeoutMs = 300_000): Promise<ExecResult> {
  return lab.exec(node, [CFY, ...args], { timeoutMs });
}

/** `lab install` as the operator runs it: certificates, CA copy, guide config.yaml, install in order. */
export function labInstall(lab: Lab, out: (l: string) => void = () => {}, roles?: Role[]): Promise<number> {
  return installSequence(lab, out, roles ? { roles } : {});
}

export const nodeIp = (lab: Lab, name: string): string => lab.node(name).node.ip;
export const nodeFile = (lab: Lab, name: string, path: string): string =>
  join(fsRoot(lab.stateDir, name), path);
export const readNodeFile = (lab: Lab, name: string, path: string): string =>
  readFileSync(nodeFile(lab, name, path), 'utf8');

/** Patroni's view of one member, from the host with that node's client certificate (undefined: no answer). */
export async function patroniRole(
  lab: Lab,
  via: string,
  ip: string,
): Promise<{ role?: string; state?: string; timeline?: number } | undefined> {
  const { request } = await import('node:https');
  const f = (p: string) => readFileSync(nodeFile(lab, via, p));
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  try {
    tls = {
      ca: f('var/lib/patroni/ca.crt'),
      cert: f('var/lib/patroni/rest.crt'),
      key: f('var/lib/patroni/rest.key'),
    };
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    const req = request(`https://${ip}:8008/patroni`, { ...tls, timeout: 2000, agent: false }, (res) => {
      let b = '';
      res.on('data', (d) => {
        b += d;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(b));
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The member that runs as primary, asking every listed node (from `via`'s certificates). */
export async function leaderOf(lab: Lab, via: string, ips: string[]): Promise<string | undefined> {
  const st = await Promise.all(ips.map(async (ip) => ({ ip, p: await patroniRole(lab, via, ip) })));
  return st.find((s) => (s.p?.role === 'master' || s.p?.role === 'primary') && s.p?.state === 'running')?.ip;
}

export interface DbsRow {
  node_ip: string;
  state: string;
  alive: string;
  etcd_state: string;
  errors: string;
}

/** Parses the ASCII table of `dbs list`. */
export function parseDbsTable(stdout: string): DbsRow[] {
  const lines = stdout.split('\n').filter((l) => l.startsWith('|'));
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const [head, ...rows] = lines.map(cells);
  return rows.map((r) => Object.fromEntries(head!.map((h, i) => [h, r[i] ?? ''])) as unknown as DbsRow);
}

export async function dbsList(
  lab: Lab,
  node: string,
): Promise<{ code: number; rows: DbsRow[]; out: string }> {
  const r = await cfy(lab, node, ['dbs', 'list'], 60_000);
  return { code: r.code, rows: parseDbsTable(r.stdout), out: r.stdout + r.stderr };
}

/**
 * Patroni's own view (`GET /cluster`) says: one leader, one sync standby (the DCS /sync key, which
 * decides who may be promoted in strict mode), every member running on the leader's timeline.
 */
export async function settled(lab: Lab, via: string, ips: string[]): Promise<boolean> {
  const { request } = await import('node:https');
  const f = (p: string) => readFileSync(nodeFile(lab, via, p));
  const ip = lab.node(via).node.ip;
  const view = await new Promise<any>((resolve) => {
    const req = request(
      `https://${ip}:8008/cluster`,
      {
        ca: f('var/lib/patroni/ca.crt'),
        cert: f('var/lib/patroni/rest.crt'),
        key: f('var/lib/patroni/rest.key'),
        timeout: 2000,
        agent: false,
      },
      (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(b));
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
  const members: { role?: string; state?: string; timeline?: number; host?: string }[] = view?.members ?? [];
  const leader = members.find((m) => m.role === 'leader');
  if (
    members.length !== ips.length ||
    !leader ||
    !members.some((m) => m.role === 'sync_standby') ||
    !members.every((m) => m.state === 'running')
  ) {
    return false;
  }
  // Each member's own status carries its timeline.
  const st = await Promise.all(ips.map((x) => patroniRole(lab, via, x)));
  const tl = st.find((p) => p?.role === 'master' || p?.role === 'primary')?.timeline;
  return tl !== undefined && st.every((p) => p?.timeline === tl);
}
