// The worker's reads and writes: the deployment as an engine plan, the persisted task graph
// (tasks_graphs/operations), node-instance updates under the version check, and events/logs.
// Writes of one engine step are batched (see writer.ts); everything here is plain SQL on the Db port.
import type {
  OperationSpec,
  OperationState,
  PlanNode,
  PlanNodeInstance,
  StoredTasksGraph,
  TasksGraph,
} from '../engine/index.js';
import type { Db } from '../store/port.js';

export interface ExecutionRow {
  _storage_id: number;
  id: string;
  workflow_id: string;
  status: string;
  parameters: Record<string, any>;
  _tenant_id: number;
  _creator_id: number;
  _deployment_fk: number | null;
  resume: boolean;
  blueprint_id: string | null;
}

export interface DeploymentInfo {
  _storage_id: number;
  id: string;
  blueprint_id: string;
  tenant_name: string;
  inputs: Record<string, unknown>;
  scaling_groups: Record<string, any>;
  outputs: Record<string, any>;
  capabilities: Record<string, any>;
  workflows: Record<string, any>;
  plan: Record<string, any> | null;
}

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

export async function loadExecution(db: Db, id: string): Promise<ExecutionRow | undefined> {
  const [row] = await db.query<ExecutionRow>(
    `SELECT _storage_id, id, workflow_id, status, parameters, _tenant_id, _creator_id, _deployment_fk, resume,
       blueprint_id FROM executions WHERE id = $1`,
    [id],
  );
  return row;
}

export async function executionStatus(db: Db, storageId: number): Promise<string | undefined> {
  const [row] = await db.query<{ status: string }>('SELECT status FROM executions WHERE _storage_id = $1', [
    storageId,
  ]);
  return row?.status;
}

export async function loadDeployment(db: Db, storageId: number): Promise<DeploymentInfo | undefined> {
  const [row] = await db.query<DeploymentInfo>(
    `SELECT d._storage_id, d.id, b.id AS blueprint_id, t.name AS tenant_name, d.inputs, d.scaling_groups, d.outputs,
       d.capabilities, d.workflows, b.plan
     FROM deployments d JOIN blueprints b ON b._storage_id = d._blueprint_fk JOIN tenants t ON t.id = d._tenant_id
     WHERE d._storage_id = $1`,
    [storageId],
  );
  return row;
}

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

/** The stored graph of an execution (one per execution in this worker), or undefined. */
export async function loadGraph(
  db: Db,
  executionFk: number,
): Promise<(StoredTasksGraph & { storageId: number }) | undefined> {
  const [g] = await db.query<{ _storage_id: number; name: string }>(
    'SELECT _storage_id, name FROM tasks_graphs WHERE _execution_fk = $1 ORDER BY _storage_id LIMIT 1',
    [executionFk],
  );
  if (!g) return undefined;
  const ops = await db.query<OperationSpec & { state: OperationState }>(
    `SELECT id, name, type, dependencies, parameters, state FROM operations WHERE _tasks_graph_fk = $1
     ORDER BY _storage_id`,
    [g._storage_id],
  );
  return { storageId: g._storage_id, name: g.name, operations: ops };
}

/** Stores a freshly built graph with every operation pending, in one transaction, before it runs. */
export async function saveGraph(db: Db, exec: ExecutionRow, graph: TasksGraph): Promise<void> {
  await db.transaction(async (tx) => {
    const [g] = await tx.query<{ _storage_id: number }>(
      `INSERT INTO tasks_graphs (id, name, _tenant_id, _creator_id, _execution_fk) VALUES ($1, $2, $3, $4, $5)
       RETURNING _storage_id`,
      [`${exec.id}:${graph.name}`, graph.name, exec._tenant_id, exec._creator_id, exec._storage_id],
    );
    // One multi-row insert per chunk: thousands of operations in a handful of statements.
    const CHUNK = 500;
    for (let i = 0; i < graph.operations.length; i += CHUNK) {
      const chunk = graph.operations.slice(i, i + CHUNK);
      await tx.query(
        `INSERT INTO operations (id, name, state, _tenant_id, _creator_id, dependencies, type, parameters,
           _tasks_graph_fk)
         SELECT o->>'id', o->>'name', 'pending', $2, $3, o->'dependencies', o->>'type', o->'parameters', $4
         FROM jsonb_array_elements($1::text::jsonb) AS o`,
        [j(chunk), exec._tenant_id, exec._creator_id, g._storage_id],
      );
    }
    await tx.query(
      'UPDATE executions SET total_operations = $2, finished_operations = 0 WHERE _storage_id = $1',
      [exec._storage_id, graph.operations.length],
    );
  });
}

/** After a resume: finished_operations = operations already in an end state. */
export async function recountFinished(db: Db, executionFk: number): Promise<void> {
  await db.query(
    `UPDATE executions SET finished_operations = (
       SELECT count(*) FROM operations o JOIN tasks_graphs g ON g._storage_id = o._tasks_graph_fk
       WHERE g._execution_fk = $1 AND o.state IN ('succeeded', 'failed'))
     WHERE _storage_id = $1`,
    [executionFk],
  );
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
