// `dbs list` (reference §4.5–4.6): one snapshot of the cluster, then pure health rules over it.
// Node addresses come from the etcd member list; per node, Patroni's status (8008, client cert) and
// etcd's own view (v3 maintenance/status: leader or follower).
import type { Config } from '../../config/schema.js';
import { DBNodeListError } from '../../errors.js';
import { ETCD_CA, PATRONI_CA, PATRONI_REST_CERT, PATRONI_REST_KEY } from '../../paths.js';
import { httpsRequest } from '../../services/https.js';
import { ETCD_CLIENT_PORT, PATRONI_PORT, patroniName, urlHost } from './cluster-files.js';
import { etcdctl, memberIp, memberList } from './etcd.js';

export const HEALTHY = 0;
export const DEGRADED = 1;
export const DOWN = 2;

export interface PatroniStatus {
  state?: string;
  role?: string;
  timeline?: number;
  pause?: boolean;
  xlog?: { location?: number; replayed_location?: number; received_location?: number };
  replication?: { application_name: string; sync_state: string }[];
}

export interface NodeSnapshot {
  ip: string;
  patroni?: PatroniStatus;
  /** 'StateLeader' | 'StateFollower', undefined when etcd did not answer. */
  etcd?: string;
}

export interface DbRow {
  node_ip: string;
  state: 'leader' | 'sync_replica' | 'async_replica' | 'dead';
  alive: boolean;
  etcd_state: string;
  errors: string[];
}

export interface Health {
  code: number;
  rows: DbRow[];
  messages: string[];
}

const PATRONI_TLS = { ca: PATRONI_CA, cert: PATRONI_REST_CERT, key: PATRONI_REST_KEY };

export async function patroniStatus(ip: string, timeoutMs = 5000): Promise<PatroniStatus | undefined> {
  const r = await httpsRequest(`https://${urlHost(ip)}:${PATRONI_PORT}/patroni`, {
    tls: PATRONI_TLS,
    timeoutMs,
  });
  return r?.json && typeof r.json === 'object' ? (r.json as PatroniStatus) : undefined;
}

export async function etcdState(ip: string, timeoutMs = 5000): Promise<string | undefined> {
  const r = await httpsRequest(`https://${urlHost(ip)}:${ETCD_CLIENT_PORT}/v3/maintenance/status`, {
    tls: { ca: ETCD_CA },
    method: 'POST',
    body: {},
    timeoutMs,
  });
  const j = r?.json as { header?: { member_id?: string }; leader?: string } | undefined;
  if (!j?.header?.member_id) return undefined;
  return j.leader === j.header.member_id ? 'StateLeader' : 'StateFollower';
}

const isMaster = (p?: PatroniStatus) => p?.role === 'master' || p?.role === 'primary';

/** Reads the member list from this node's etcd, then every member's Patroni and etcd, in parallel. */
export async function snapshot(config: Config, ownIp: string): Promise<NodeSnapshot[]> {
  const ctl = etcdctl(config, ownIp);
  const health = await ctl(['endpoint', 'health'], { asRoot: true });
  const members = health.code === 0 ? await memberList(ctl) : undefined;
  if (!members) {
    throw new DBNodeListError(
      'Etcd is not responding on this node. Please retry this command on another DB cluster node.',
    );
  }
  const ips = members.map(memberIp).filter((x): x is string => Boolean(x));
  return Promise.all(
    ips.map(async (ip) => ({ ip, patroni: await patroniStatus(ip), etcd: await etcdState(ip) })),
  );
}

const MiB = 1024 * 1024;

/** The worst code found so far and the cluster's messages, in the order found. */
interface Verdict {
  code: number;
  messages: string[];
}

const worsen = (v: Verdict, c: number) => {
  v.code = Math.max(v.code, c);
};

/** The health rules of reference §4.6 over one snapshot. Leader first, then the replicas by IP. */
export function assess(nodes: NodeSnapshot[]): Health {
  const v: Verdict = { code: HEALTHY, messages: [] };
  const master = pickMaster(nodes);
  const syncNames = new Set(
    (master?.patroni?.replication ?? [])
      .filter((r) => r.sync_state === 'sync')
      .map((r) => r.application_name),
  );
  const rows = nodes.map((n) => nodeRow(n, master, syncNames, v));
  clusterRules(nodes, rows, master, v);
  const order = (r: DbRow) => (r.state === 'leader' ? 0 : 1);
  rows.sort((a, b) => order(a) - order(b) || a.node_ip.localeCompare(b.node_ip, 'en', { numeric: true }));
  return {
    code: v.code,
    rows: master ? rows : rows.filter((r) => r.state !== 'leader'),
    messages: v.messages,
  };
}

function pickMaster(nodes: NodeSnapshot[]): NodeSnapshot | undefined {
  const masters = nodes.filter((n) => isMaster(n.patroni) && n.patroni?.state === 'running');
  // With two running masters, the DCS leader is the one the others replicate from; take the one with replicas.
  return (
    masters.sort(
      (a, b) => (b.patroni?.replication?.length ?? 0) - (a.patroni?.replication?.length ?? 0),
    )[0] ?? nodes.find((n) => isMaster(n.patroni))
  );
}

/** One node's row: its state and the errors the rules find on it. */
function nodeRow(
  n: NodeSnapshot,
  master: NodeSnapshot | undefined,
  syncNames: Set<string>,
  v: Verdict,
): DbRow {
  const p = n.patroni;
  const errors: string[] = [];
  const alive = p?.state === 'running';
  let state: DbRow['state'];
  if (n === master) state = 'leader';
  else if (!p) state = 'dead';
  else if (syncNames.has(patroniName(n.ip))) state = 'sync_replica';
  else state = 'async_replica';
  if (!alive) errors.push('Node not running');
  // Stratus: a replica whose Patroni is down makes the cluster degraded even when its etcd is up
  // (Cloudify's rules only look at etcd followers there, and would call it healthy).
  if (!alive && n !== master) worsen(v, DEGRADED);
  if (p?.pause) errors.push('Failover disabled');
  if (p && alive && !p.xlog) errors.push('Could not retrieve DB status');
  if (!n.etcd) errors.push('Could not retrieve etcd status');
  if (n !== master && p && isMaster(p)) {
    errors.push('EXTRA MASTER');
    v.messages.push(`MULTIPLE MASTERS DETECTED! ${n.ip} also reports itself as master.`);
  }
  const masterLoc = master?.patroni?.xlog?.location;
  if (n !== master && alive && masterLoc !== undefined) {
    replicationErrors(p, state, master?.patroni, masterLoc, errors, v);
  }
  return { node_ip: n.ip, state, alive, etcd_state: n.etcd ?? 'dead', errors };
}

/** A live replica against the master: replayed location, timeline and lag. */
function replicationErrors(
  p: PatroniStatus | undefined,
  state: DbRow['state'],
  masterPatroni: PatroniStatus | undefined,
  masterLoc: number,
  errors: string[],
  v: Verdict,
): void {
  const loc = p?.xlog?.replayed_location;
  if (state === 'sync_replica' && loc !== undefined && loc < masterLoc) {
    errors.push('Out of sync');
    worsen(v, DOWN);
  } else if (
    state === 'sync_replica' &&
    p?.timeline !== undefined &&
    masterPatroni?.timeline !== undefined &&
    p.timeline !== masterPatroni.timeline
  ) {
    // Stratus: a sync replica still on the old timeline cannot take over yet (Patroni's check_timeline).
    errors.push('Out of sync');
    worsen(v, DEGRADED);
  }
  if (state === 'async_replica') {
    if (
      p?.timeline !== undefined &&
      masterPatroni?.timeline !== undefined &&
      p.timeline !== masterPatroni.timeline
    ) {
      errors.push('Out of sync');
      worsen(v, DEGRADED);
    }
    if (loc === undefined) errors.push('Could not get lag details.');
    else if (masterLoc - loc > 2 * MiB) errors.push(`Lag: ${((masterLoc - loc) / MiB).toFixed(2)}MiB`);
  }
}

/** The rules over the whole cluster: a running master, a sync replica, etcd consensus. */
function clusterRules(
  nodes: NodeSnapshot[],
  rows: DbRow[],
  master: NodeSnapshot | undefined,
  v: Verdict,
): void {
  if (!master) {
    worsen(v, DOWN);
    v.messages.push('No master found.');
  } else if (master.patroni?.state !== 'running') {
    worsen(v, DOWN);
    v.messages.push('Master is not running.');
  }
  if (!rows.some((r) => r.state === 'sync_replica')) {
    worsen(v, DOWN);
    v.messages.push('No synchronous replicas found.');
  }
  const leaders = nodes.filter((n) => n.etcd === 'StateLeader').length;
  const followers = nodes.filter((n) => n.etcd === 'StateFollower').length;
  if (leaders !== 1) {
    worsen(v, DOWN);
    v.messages.push(`Expected to find 1 etcd leader, but found ${leaders}, cluster consensus lost.`);
  }
  if (followers < Math.floor(nodes.length / 2)) {
    worsen(v, DOWN);
    v.messages.push('Insufficient etcd followers found, cluster consensus lost.');
  }
  const replicas = rows.filter((r) => r.state !== 'leader').length;
  if (followers < replicas) {
    worsen(v, DEGRADED);
    v.messages.push('Missing one or more etcd followers.');
  }
}

/** The current leader's IP, by Patroni's own status of every member (undefined when none runs). */
export async function currentLeader(ips: string[]): Promise<string | undefined> {
  const st = await Promise.all(ips.map(async (ip) => ({ ip, p: await patroniStatus(ip, 3000) })));
  return st.find((s) => isMaster(s.p) && s.p?.state === 'running')?.ip;
}
