// The node-list refresh behind `cfy cluster update-profile` and `cfy profiles use` (cfy-cli.md A.5
// step 8-9): GET /managers, /brokers, /db-nodes, merged into profile.cluster, per-node overrides kept.
import { CloudifyClientError } from '../../client/errors.js';
import type { CloudifyClient } from '../../client/index.js';
import type { BrokerNode, DbNode, ManagerNode } from '../../client/types.js';
import type { ClusterEntry, NodeType, ProfileContext } from '../../profiles/store.js';

export interface ClusterNodes {
  managers: ManagerNode[];
  brokers: BrokerNode[];
  dbs: DbNode[];
}

/** Undefined when the manager predates /managers (404). */
export async function fetchClusterNodes(client: CloudifyClient): Promise<ClusterNodes | undefined> {
  try {
    // /managers first: refused credentials then count as one failed login, not three.
    const managers = await client.manager.managers();
    const [brokers, dbs] = await Promise.all([
      client.manager.brokers().catch(notServed),
      client.manager.dbNodes().catch(notServed),
    ]);
    return { managers: managers.items, brokers: brokers.items, dbs: dbs.items };
  } catch (e) {
    if (e instanceof CloudifyClientError && e.status === 404) return undefined;
    throw e;
  }
}

const notServed = (e: unknown) => {
  if (e instanceof CloudifyClientError && e.status === 404) return { items: [] };
  throw e;
};

/** One manager, at most one broker and one DB, all on the manager's host. */
export function isAllInOne(n: ClusterNodes): boolean {
  if (n.managers.length > 1 || n.brokers.length > 1 || n.dbs.length > 1) return false;
  const ip = n.managers[0]?.private_ip;
  const hosts = [...n.brokers.map((b) => b.host), ...n.dbs.map((d) => d.host)].filter(Boolean);
  return hosts.every((h) => h === ip || h === 'localhost' || h === '127.0.0.1');
}

function merge(old: ClusterEntry[] | undefined, fresh: ClusterEntry[]): ClusterEntry[] {
  return fresh.map((f) => {
    const prev = old?.find((o) => o.hostname === f.hostname);
    return prev ? { ...prev, host_ip: f.host_ip, host_type: f.host_type } : f;
  });
}

export function applyClusterNodes(p: ProfileContext, n: ClusterNodes): number {
  const entry = (hostname: string, host_ip: string, host_type: NodeType): ClusterEntry => ({
    hostname,
    host_ip,
    host_type,
  });
  p.cluster = {
    manager: merge(
      p.cluster.manager,
      n.managers.map((m) => entry(m.hostname, (m.public_ip || m.private_ip) ?? m.hostname, 'manager')),
    ),
    broker: merge(
      p.cluster.broker,
      n.brokers.map((b) => entry(b.name, b.host ?? b.name, 'broker')),
    ),
    db: merge(
      p.cluster.db,
      n.dbs.map((d) => entry(d.name, d.host ?? d.name, 'db')),
    ),
  };
  if (
    p.last_good_manager &&
    !p.cluster.manager!.some((m) => m.hostname === p.last_good_manager || m.host_ip === p.last_good_manager)
  )
    p.last_good_manager = null;
  return n.managers.length + n.brokers.length + n.dbs.length;
}
