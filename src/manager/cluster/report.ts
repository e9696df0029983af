// The shape of GET /cluster-status (rest-api.md §4.2) and its roll-up rules, shared by the Prometheus
// computation (status-prometheus.ts) and the manager's own checks (status.ts). Per type: all nodes OK →
// OK, healthy ≥ quorum → Degraded, else Fail; quorum is 1 for managers and n//2+1 for db and broker; an
// external type is always OK. Overall: Fail > Degraded > OK.

export type NodeStatus = 'OK' | 'Fail';
export type ClusterStatus = 'OK' | 'Degraded' | 'Fail';
export type NodeType = 'manager' | 'db' | 'broker';

export interface NodeService {
  status: 'Active' | 'Inactive';
  extra_info: Record<string, unknown>;
}

export interface NodeMetric {
  last_check: string;
  healthy: boolean;
  metric_type: string;
  metric_name: string;
}

export interface ClusterNode {
  private_ip: string;
  public_ip: string | null;
  version: string | null;
  status: NodeStatus;
  failures: string[];
  services: Record<string, NodeService>;
  metrics: NodeMetric[];
}

export type ServiceReport =
  | { is_external: true; status: 'OK' }
  | { is_external: false; status: ClusterStatus; nodes: Record<string, ClusterNode> };

export interface ClusterReport {
  status: ClusterStatus;
  services: { broker: ServiceReport; db: ServiceReport; manager: ServiceReport };
}

export function typeStatus(nodes: Pick<ClusterNode, 'status'>[], quorum: number): ClusterStatus {
  const healthy = nodes.filter((n) => n.status === 'OK').length;
  if (healthy === nodes.length) return 'OK';
  return healthy >= quorum ? 'Degraded' : 'Fail';
}

export function overallStatus(statuses: ClusterStatus[]): ClusterStatus {
  if (statuses.includes('Fail')) return 'Fail';
  return statuses.includes('Degraded') ? 'Degraded' : 'OK';
}

/** 1 for managers, a majority for the database and the brokers. */
export const quorumOf = (type: NodeType, n: number): number =>
  type === 'manager' ? 1 : Math.floor(n / 2) + 1;

/** A type's entry: external → `{is_external: true, status: 'OK'}`, else its nodes rolled up. */
export function serviceReport(
  type: NodeType,
  nodes: [string, ClusterNode][],
  external: boolean,
): ServiceReport {
  if (external) return { is_external: true, status: 'OK' };
  const list = nodes.map(([, n]) => n);
  return {
    is_external: false,
    status: typeStatus(list, quorumOf(type, list.length)),
    nodes: Object.fromEntries(nodes),
  };
}

export function clusterReport(services: ClusterReport['services']): ClusterReport {
  return {
    status: overallStatus([services.broker.status, services.db.status, services.manager.status]),
    services,
  };
}
