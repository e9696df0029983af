// Nodes and node instances as the worker reads and writes them: the deployment's plan, and
// node-instance updates under the optimistic version lock.
import type { PlanNode, PlanNodeInstance } from '../../engine/index.js';
import type { Db } from '../port.js';

export interface InstanceRow {
  id: string;
  node_id: string;
  state: string;
  host_id: string | null;
  relationships: { target_id: string; target_name: string; type: string }[];
  scaling_groups: { name: string; id: string }[];
  runtime_properties: Record<string, unknown>;
  system_properties: Record<string, unknown>;
  index: number | null;
  version: number;
  _storage_id: number;
}

export interface NodeRow extends PlanNode {
  _storage_id: number;
  properties: Record<string, unknown>;
  number_of_instances: number;
  planned_number_of_instances: number;
}

const j = (v: unknown) => JSON.stringify(v ?? null);

export async function loadNodes(db: Db, deploymentFk: number): Promise<NodeRow[]> {
  return db.query<NodeRow>(
    `SELECT _storage_id, id, id AS name, type, type_hierarchy, properties, operations, relationships, plugins, host_id,
       number_of_instances, planned_number_of_instances
     FROM nodes WHERE _deployment_fk = $1 ORDER BY _storage_id`,
    [deploymentFk],
  );
}

export async function loadInstances(db: Db, deploymentFk: number): Promise<InstanceRow[]> {
  return db.query<InstanceRow>(
    `SELECT ni._storage_id, ni.id, n.id AS node_id, ni.state, ni.host_id, ni.relationships, ni.scaling_groups,
       ni.runtime_properties, ni.system_properties, ni.index, ni.version
     FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
     WHERE n._deployment_fk = $1 ORDER BY ni._storage_id`,
    [deploymentFk],
  );
}

export function toPlanInstance(i: InstanceRow): PlanNodeInstance {
  return {
    id: i.id,
    node_id: i.node_id,
    name: i.node_id,
    host_id: i.host_id,
    relationships: i.relationships,
    scaling_groups: i.scaling_groups,
    state: i.state,
  };
}

/**
 * Updates a node instance under its optimistic lock: read version, write with `version = version + 1`
 * WHERE version still matches; retried on a concurrent change (another op of the same instance).
 */
export async function updateNodeInstance(
  db: Db,
  id: string,
  tenantId: number,
  patch: (cur: InstanceRow) => { state?: string; runtime_properties?: Record<string, unknown> } | undefined,
  opts: { expectedVersion?: number } = {},
): Promise<InstanceRow> {
  for (let attempt = 0; ; attempt++) {
    const [cur] = await db.query<InstanceRow>(
      `SELECT ni._storage_id, ni.id, n.id AS node_id, ni.state, ni.host_id, ni.relationships, ni.scaling_groups,
         ni.runtime_properties, ni.system_properties, ni.index, ni.version
       FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk WHERE ni.id = $1 AND ni._tenant_id = $2`,
      [id, tenantId],
    );
    if (!cur) throw new Error(`Node instance ${id} does not exist`);
    if (opts.expectedVersion !== undefined && cur.version !== opts.expectedVersion) {
      throw new NodeInstanceConflict(id, cur.version, opts.expectedVersion);
    }
    const p = patch(cur);
    if (!p) return cur;
    const rows = await db.query<{ version: number }>(
      `UPDATE node_instances SET state = coalesce($3, state),
         runtime_properties = coalesce($4::text::jsonb, runtime_properties), version = version + 1
       WHERE _storage_id = $1 AND version = $2 RETURNING version`,
      [cur._storage_id, cur.version, p.state ?? null, p.runtime_properties ? j(p.runtime_properties) : null],
    );
    if (rows.length) {
      return {
        ...cur,
        state: p.state ?? cur.state,
        runtime_properties: p.runtime_properties ?? cur.runtime_properties,
        version: rows[0].version,
      };
    }
    if (opts.expectedVersion !== undefined || attempt > 20) {
      throw new NodeInstanceConflict(id, cur.version + 1, cur.version);
    }
  }
}

export class NodeInstanceConflict extends Error {
  override name = 'NodeInstanceConflict';
  constructor(id: string, current: number, given: number) {
    super(`Node instance update conflict [current version=${current}, update version=${given}] for ${id}`);
  }
}
