// `cfy_manager brokers list|add|remove` (reference §5.5). The logic takes its I/O as arguments so the
// messages, the table and the exit codes are tested without a broker.
import { formatTable } from '../../table.js';
import { fullNodeName, nodeHost } from './config.js';
import type { Ctl } from './ctl.js';
import type { NodeList } from './management.js';

export interface BrokersLog {
  info(m: string): void;
  warning(m: string): void;
  error(m: string): void;
}

export interface BrokersDeps {
  /** GET /api/nodes on this node's broker; undefined when it cannot be reached. */
  list(): Promise<NodeList | undefined>;
  log: BrokersLog;
  /** Where the table goes (stdout). */
  print(text: string): void;
}

export const UNDETERMINED =
  'Broker node status could not be determined. This may mean that the broker cluster has failed. Please try to recover enough cluster nodes to make a majority be online. If this is not possible, please contact support.';
export const NAME_PROBLEMS =
  'badrpc and/or nodedown alarms found. This may indicate that the broker nodes cannot resolve the names of other nodes, or cannot reach them. Check the hosts file or DNS of every broker node.';
export const ALREADY_CLUSTERED =
  'This node is already in a rabbit cluster. The brokers-add command must be run on the node that is joining the rabbit cluster, not one of the existing members.';
export const STILL_RUNNING =
  'Broker nodes to be removed must be shut down. If you recently shut down the node, please wait up to one minute before re-running this command.';

export const BROKER_FIELDS = ['broker_name', 'running', 'alarms'];

export function brokersTable(list: NodeList): string {
  const rows = [...list.nodes].sort().map((name) => ({
    broker_name: name,
    running: list.running.includes(name),
    alarms: list.alarms[name] ?? [],
  }));
  return formatTable(rows, BROKER_FIELDS);
}

async function listOrReport(deps: BrokersDeps): Promise<NodeList | undefined> {
  const list = await deps.list();
  if (!list) {
    deps.log.error(UNDETERMINED);
    return undefined;
  }
  if (list.nameProblems) deps.log.warning(NAME_PROBLEMS);
  return list;
}

export async function brokersList(deps: BrokersDeps): Promise<number> {
  const list = await listOrReport(deps);
  if (!list) return 1;
  deps.print(brokersTable(list));
  return 0;
}

export interface AddDeps extends BrokersDeps {
  resolves(host: string): Promise<boolean>;
  /** §5.4 join of this node into the cluster of `node`. */
  join(node: string): Promise<void>;
  /** The failure path of a join: make sure the configured admin user exists and guest does not. */
  repairUsers(): Promise<void>;
}

export async function brokersAdd(deps: AddDeps, joinNode: string): Promise<number> {
  const list = await listOrReport(deps);
  if (!list) return 1;
  if (list.nodes.length > 1) {
    deps.log.error(ALREADY_CLUSTERED);
    return 1;
  }
  const host = nodeHost(joinNode);
  if (!(await deps.resolves(host))) {
    deps.log.error(
      `Could not get address for "${host}".\nNode must be resolvable by DNS or as a hosts entry.`,
    );
    return 1;
  }
  const node = fullNodeName(joinNode);
  try {
    await deps.join(node);
  } catch (err) {
    await deps.repairUsers().catch(() => undefined);
    throw err;
  }
  deps.log.info(`Node joined the cluster of ${node}.`);
  return 0;
}

export interface RemoveDeps extends BrokersDeps {
  ctl: Ctl;
}

export async function brokersRemove(deps: RemoveDeps, removeNode: string): Promise<number> {
  const node = fullNodeName(removeNode);
  const list = await listOrReport(deps);
  if (!list) return 1;
  if (list.running.includes(node)) {
    deps.log.error(STILL_RUNNING);
    return 1;
  }
  if (!list.nodes.includes(node)) {
    deps.log.error(
      `Broker node ${node} not found in cluster. Valid nodes are: ${[...list.nodes].sort().join(', ')}`,
    );
    return 1;
  }
  await deps.ctl(['forget_cluster_node', node]);
  deps.log.info(`Broker ${node} removed from cluster.`);
  return 0;
}
