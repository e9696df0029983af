// Nodes and node instances: the list/get field maps, the bulk inserts (REST, create_deployment_environment,
// scale), node-instance updates under the optimistic version lock, and the plan the worker reads.
import { conflict } from '../../common/errors.js';
import type { PlanNode, PlanNodeInstance } from '../../engine/index.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, sqlArray } from './common.js';
import { getVisible, type ResourceDef, type Scope } from './list.js';

export const NODES: ResourceDef = {
  kind: 'Node',
  from: `${fromWithOwner('nodes')} JOIN deployments d ON d._storage_id = t._deployment_fk
    JOIN blueprints b ON b._storage_id = d._blueprint_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    deployment_id: { sql: 'd.id' },
    blueprint_id: { sql: 'b.id' },
    type: { sql: 't.type' },
    type_hierarchy: json('t.type_hierarchy'),
    properties: json('t.properties'),
    operations: json('t.operations'),
    relationships: json('t.relationships'),
    plugins: json('t.plugins'),
    plugins_to_install: json('t.plugins_to_install'),
    host_id: { sql: 't.host_id' },
    number_of_instances: { sql: 't.number_of_instances' },
    planned_number_of_instances: { sql: 't.planned_number_of_instances' },
    deploy_number_of_instances: { sql: 't.deploy_number_of_instances' },
    min_number_of_instances: { sql: 't.min_number_of_instances' },
    max_number_of_instances: { sql: 't.max_number_of_instances' },
    actual_number_of_instances: {
      sql: '(SELECT count(*)::int FROM node_instances ni WHERE ni._node_fk = t._storage_id)',
      filter: false,
    },
  },
};

export const NODE_INSTANCES: ResourceDef = {
  kind: 'NodeInstance',
  from: `${fromWithOwner('node_instances')} JOIN nodes n ON n._storage_id = t._node_fk
    JOIN deployments d ON d._storage_id = n._deployment_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    node_id: { sql: 'n.id' },
    deployment_id: { sql: 'd.id' },
    host_id: { sql: 't.host_id' },
    state: { sql: 't.state' },
    runtime_properties: json('t.runtime_properties'),
    system_properties: json('t.system_properties'),
    relationships: json('t.relationships'),
    scaling_groups: json('t.scaling_groups'),
    index: { sql: 't.index' },
    version: { sql: 't.version' },
    has_configuration_drift: { sql: 'false', filter: false },
    is_status_check_ok: { sql: 'true', filter: false },
  },
};

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

// ---- inserts (REST bulk inserts, create_deployment_environment, scale) ----

/** Who the inserted rows belong to. */
export interface Owner {
  tenantId: number;
  creatorId: number;
  visibility: string;
}

export interface NodeInsert {
  id: string;
  type: string;
  type_hierarchy: unknown;
  properties: unknown;
  operations: unknown;
  relationships: unknown;
  plugins: unknown;
  /** undefined stores SQL NULL. */
  plugins_to_install: unknown;
  host_id: string | null;
  number_of_instances: number;
  planned_number_of_instances: number;
  deploy_number_of_instances: number;
  min_number_of_instances: number;
  max_number_of_instances: number;
}

/** Inserts the deployment's nodes in one transaction; returns their storage ids by node id. */
export async function insertNodes(
  db: Db,
  owner: Owner,
  deploymentFk: number,
  nodes: NodeInsert[],
): Promise<Map<string, number>> {
  const fks = new Map<string, number>();
  await db.transaction(async (tx) => {
    for (const n of nodes) {
      const [row] = await tx.query<{ _storage_id: number }>(
        `INSERT INTO nodes (id, visibility, _tenant_id, _creator_id, _deployment_fk, type, type_hierarchy, properties,
           operations, relationships, plugins, plugins_to_install, host_id, number_of_instances,
           planned_number_of_instances, deploy_number_of_instances, min_number_of_instances, max_number_of_instances)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb, $10::text::jsonb,
           $11::text::jsonb, $12::text::jsonb, $13, $14, $15, $16, $17, $18) RETURNING _storage_id`,
        [
          n.id,
          owner.visibility,
          owner.tenantId,
          owner.creatorId,
          deploymentFk,
          n.type,
          j(n.type_hierarchy),
          j(n.properties),
          j(n.operations),
          j(n.relationships),
          j(n.plugins),
          n.plugins_to_install === undefined ? null : j(n.plugins_to_install),
          n.host_id,
          n.number_of_instances,
          n.planned_number_of_instances,
          n.deploy_number_of_instances,
          n.min_number_of_instances,
          n.max_number_of_instances,
        ],
      );
      fks.set(n.id, row._storage_id);
    }
  });
  return fks;
}

/** The storage ids of the deployment's nodes by node id. */
export async function nodeKeys(db: Db, deploymentFk: number): Promise<Map<string, number>> {
  const rows = await db.query<{ id: string; _storage_id: number }>(
    'SELECT id, _storage_id FROM nodes WHERE _deployment_fk = $1',
    [deploymentFk],
  );
  return new Map(rows.map((n) => [n.id, n._storage_id]));
}

export interface NodeInstanceInsert {
  id: string;
  nodeFk: number | undefined;
  /** @default 'uninitialized' */
  state?: string;
  runtime_properties?: unknown;
  system_properties?: unknown;
  relationships: unknown;
  host_id: string | null;
  index: number | null;
  scaling_groups: unknown;
  /** @default 1 */
  version?: number;
}

/** Inserts node instances in one transaction. */
export async function insertNodeInstances(
  db: Db,
  owner: Owner,
  instances: NodeInstanceInsert[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const ni of instances) {
      await tx.query(
        `INSERT INTO node_instances (id, visibility, _tenant_id, _creator_id, _node_fk, state, runtime_properties,
           system_properties, relationships, host_id, index, scaling_groups, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb, $10, $11, $12::text::jsonb, $13)`,
        [
          ni.id,
          owner.visibility,
          owner.tenantId,
          owner.creatorId,
          ni.nodeFk ?? null,
          ni.state ?? 'uninitialized',
          j(ni.runtime_properties ?? {}),
          j(ni.system_properties ?? {}),
          j(ni.relationships),
          ni.host_id,
          ni.index,
          j(ni.scaling_groups),
          ni.version ?? 1,
        ],
      );
    }
  });
}

// ---- changes ----

/** The REST PATCH: sets what is given when `version` is the stored one (or `force`); stale → 409. */
export async function patchNodeInstance(
  db: Db,
  scope: Scope,
  id: string,
  p: { version: number; state?: string; runtime_properties?: unknown; system_properties?: unknown },
  force: boolean,
): Promise<void> {
  const found = await getVisible<{ _storage_id: number; version: number }>(db, NODE_INSTANCES, scope, id, {
    select: 't._storage_id, t.version',
    from: 'node_instances t',
  });
  const updated = await db.query(
    `UPDATE node_instances SET version = version + 1,
       state = coalesce($3, state),
       runtime_properties = coalesce($4::text::jsonb, runtime_properties),
       system_properties = coalesce($5::text::jsonb, system_properties)
     WHERE _storage_id = $1 AND ($6 OR version = $2) RETURNING version`,
    [
      found._storage_id,
      p.version,
      p.state ?? null,
      p.runtime_properties === undefined ? null : j(p.runtime_properties),
      p.system_properties === undefined ? null : j(p.system_properties),
      force,
    ],
  );
  if (updated.length === 0) {
    const [cur] = await db.query<{ version: number }>(
      'SELECT version FROM node_instances WHERE _storage_id = $1',
      [found._storage_id],
    );
    throw conflict(`Node instance update conflict [current version=${cur?.version ?? found.version}]`);
  }
}

/** Sets an instance's relationships (scale: existing instances may gain new targets) when they differ. */
export async function setRelationships(
  tx: Db,
  tenantId: number,
  id: string,
  relationships: unknown,
): Promise<void> {
  await tx.query(
    `UPDATE node_instances SET relationships = $3::text::jsonb, version = version + 1
     WHERE id = $1 AND _tenant_id = $2 AND relationships <> $3::text::jsonb`,
    [id, tenantId, j(relationships)],
  );
}

/**
 * Removes the deployment's instances among `ids` that are in one of `states`, and sets each node's
 * instance counts to what is left, in one transaction.
 */
export async function removeInstances(
  db: Db,
  deploymentFk: number,
  ids: string[],
  states: readonly string[],
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `DELETE FROM node_instances ni USING nodes n
       WHERE n._storage_id = ni._node_fk AND n._deployment_fk = $1 AND ni.id = ANY($2::text[])
         AND ni.state = ANY($3::text[])`,
      [deploymentFk, sqlArray(ids), sqlArray(states)],
    );
    await tx.query(
      `UPDATE nodes n SET number_of_instances = c.n, planned_number_of_instances = c.n
       FROM (SELECT n2._storage_id AS id, count(ni._storage_id)::int AS n FROM nodes n2
             LEFT JOIN node_instances ni ON ni._node_fk = n2._storage_id WHERE n2._deployment_fk = $1
             GROUP BY n2._storage_id) c
       WHERE n._storage_id = c.id`,
      [deploymentFk],
    );
  });
}

/** Removes the deployment's nodes and, through the foreign key, their instances. */
export async function deleteNodes(tx: Db, deploymentFk: number): Promise<void> {
  await tx.query('DELETE FROM nodes WHERE _deployment_fk = $1', [deploymentFk]);
}

/** Ids of the deployment's instances that are not uninitialized or deleted (they block its deletion). */
export async function liveInstanceIds(db: Db, deploymentFk: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT ni.id FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
     WHERE n._deployment_fk = $1 AND ni.state NOT IN ('uninitialized', 'deleted') ORDER BY ni._storage_id`,
    [deploymentFk],
  );
  return rows.map((r) => r.id);
}

// ---- what runtime functions read (get_property, get_attribute) ----

/** The properties of the deployment's nodes by node id. */
export async function nodeProperties(
  db: Db,
  deploymentFk: number,
): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.query<{ id: string; properties: Record<string, unknown> }>(
    'SELECT id, properties FROM nodes WHERE _deployment_fk = $1',
    [deploymentFk],
  );
  return new Map(rows.map((n) => [n.id, n.properties]));
}

export interface RuntimeInstance {
  id: string;
  node_id: string;
  runtime_properties: Record<string, unknown>;
  relationships: { target_id: string; target_name?: string }[];
  index: number | null;
}

/** The deployment's instances with their runtime properties, in creation order. */
export function runtimeInstances(db: Db, deploymentFk: number): Promise<RuntimeInstance[]> {
  return db.query<RuntimeInstance>(
    `SELECT ni.id, n.id AS node_id, ni.runtime_properties, ni.relationships, ni.index
     FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk WHERE n._deployment_fk = $1
     ORDER BY ni._storage_id`,
    [deploymentFk],
  );
}
