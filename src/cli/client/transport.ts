// Cluster following (cfy-cli.md A.5): try nodes in order, move on only on a connection failure or an
// HTTP 502, raise every other error at once. Stratus improves on Cloudify: the node that answered
// last is tried first, so a dead `manager_ip` costs the 5 s connect timeout once, not on every command.
import { AllNodesOffline, CloudifyClientError, ConnectionFailure } from './errors.js';
import { type Credentials, type HttpResponse, type NodeTarget, type RequestSpec, send } from './http.js';

export interface ClusterNode extends NodeTarget {
  /** The node's hostname (cluster entries) or its address (the profile's manager_ip). */
  name: string;
}

export interface ManagerEntry {
  hostname?: string;
  host_ip?: string;
  rest_port?: number;
  rest_protocol?: 'http' | 'https';
  cert?: string;
  trust_all?: boolean;
}

export interface NodeOrderInput {
  managerIp: string;
  defaults: Omit<NodeTarget, 'host'>;
  /** profile.cluster.manager, in list order. */
  managers: ManagerEntry[];
  /** The hostname or address of the node that answered last (Stratus addition), if any. */
  lastGood?: string;
  /** --manager HOST: only this node, no failover. */
  pinned?: string;
}

const entryTarget = (e: ManagerEntry, d: Omit<NodeTarget, 'host'>): ClusterNode => ({
  name: e.hostname ?? e.host_ip ?? '',
  host: e.host_ip ?? e.hostname ?? '',
  port: e.rest_port ?? d.port,
  protocol: e.rest_protocol ?? d.protocol,
  cert: e.cert ?? d.cert,
  trustAll: e.trust_all ?? d.trustAll,
});

const matches = (e: ManagerEntry, key: string) => e.host_ip === key || e.hostname === key;

/**
 * The order in which nodes are tried. Cloudify: manager_ip, then the cluster list skipping manager_ip.
 * Stratus: the last node that answered goes first, then that same order.
 */
export function nodeOrder(o: NodeOrderInput): ClusterNode[] {
  // Nodes may share an address on different ports (several managers on one host): an entry is the
  // primary only when its port is the profile's port too.
  const isPrimary = (e: ManagerEntry) =>
    matches(e, o.managerIp) && (e.rest_port ?? o.defaults.port) === o.defaults.port;
  const primaryEntry = o.managers.find(isPrimary);
  const primary: ClusterNode = primaryEntry
    ? { ...entryTarget(primaryEntry, o.defaults), host: o.managerIp }
    : { name: o.managerIp, host: o.managerIp, ...o.defaults };
  if (o.pinned) {
    // --manager HOST or HOST:PORT, HOST being a hostname or an address of the profile.
    const [host, port] = o.pinned.split(':') as [string, string | undefined];
    const e = o.managers.find(
      (m) => matches(m, host) && (!port || (m.rest_port ?? o.defaults.port) === Number(port)),
    );
    if (e) return [entryTarget(e, o.defaults)];
    return [{ ...primary, name: o.pinned, host, port: port ? Number(port) : primary.port }];
  }
  const rest = o.managers.filter((e) => e !== primaryEntry).map((e) => entryTarget(e, o.defaults));
  let order = [primary, ...rest];
  if (o.lastGood) {
    const i = order.findIndex((n) => n.name === o.lastGood);
    if (i > 0) order = [order[i]!, ...order.slice(0, i), ...order.slice(i + 1)];
  }
  return order;
}

export interface TransportOptions {
  nodes: ClusterNode[];
  creds: Credentials;
  /** True for a cluster profile: the final error is "All cluster nodes are offline". */
  cluster: boolean;
  /** Called when a node other than the first one answered; the profile remembers it. */
  onFailover?: (node: ClusterNode) => void;
  /** Told about each node that failed (shown with -v). */
  onNodeFailed?: (node: ClusterNode, reason: string) => void;
  connectTimeoutMs?: number;
}

export interface Requester {
  request(spec: RequestSpec): Promise<HttpResponse>;
  /** The node that answered the last request. */
  readonly current: ClusterNode;
}

export class Transport implements Requester {
  private answered?: ClusterNode;

  constructor(private readonly o: TransportOptions) {
    if (o.nodes.length === 0) throw new Error('Transport needs at least one node');
  }

  get current(): ClusterNode {
    return this.answered ?? this.o.nodes[0]!;
  }

  get credentials(): Credentials {
    return this.o.creds;
  }

  async request(spec: RequestSpec): Promise<HttpResponse> {
    const tried: { host: string; reason: string }[] = [];
    // After a failover within this process, keep going to the node that answered.
    const nodes = this.answered
      ? [this.answered, ...this.o.nodes.filter((n) => n !== this.answered)]
      : this.o.nodes;
    for (const node of nodes) {
      try {
        const res = await send(node, this.o.creds, {
          connectTimeoutMs: this.o.connectTimeoutMs,
          ...spec,
        });
        if (node !== this.answered && node !== this.o.nodes[0]) this.o.onFailover?.(node);
        this.answered = node;
        return res;
      } catch (e) {
        const retry =
          e instanceof ConnectionFailure || (e instanceof CloudifyClientError && e.status === 502);
        if (!retry) throw e;
        const reason = e instanceof ConnectionFailure ? e.reason : 'HTTP 502';
        tried.push({ host: node.host, reason });
        this.o.onNodeFailed?.(node, reason);
      }
    }
    if (!this.o.cluster || tried.length === 1) throw new ConnectionFailure(nodes[0]!.host, tried[0]!.reason);
    throw new AllNodesOffline(tried);
  }
}
