// Node instances: the list/get field map, the bulk insert, updates under the optimistic version lock,
// scale's changes, and what operations and runtime functions read.
import { conflict } from '../../common/errors.js';
import type { PlanNodeInstance } from '../../engine/index.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, jsonParam, sqlArray } from './common.js';
import { getVisible, type ResourceDef, type Scope } from './list.js';
import type { Owner } from './nodes.js';

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
      [
        cur._storage_id,
        cur.version,
        p.state ?? null,
        p.runtime_properties ? jsonParam(p.runtime_properties) : null,
      ],
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
          jsonParam(ni.runtime_properties ?? {}),
          jsonParam(ni.system_properties ?? {}),
          jsonParam(ni.relationships),
          ni.host_id,
          ni.index,
          jsonParam(ni.scaling_groups),
          ni.version ?? 1,
        ],
      );
    }
  });
}

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
      p.runtime_properties === undefined ? null : jsonParam(p.runtime_properties),
      p.system_properties === undefined ? null : jsonParam(p.system_properties),
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
    [id, tenantId, jsonParam(relationships)],
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

/** Ids of the deployment's instances that are not uninitialized or deleted (they block its deletion). */
export async function liveInstanceIds(db: Db, deploymentFk: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT ni.id FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
     WHERE n._deployment_fk = $1 AND ni.state NOT IN ('uninitialized', 'deleted') ORDER BY ni._storage_id`,
    [deploymentFk],
  );
  return rows.map((r) => r.id);
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

/** A node instance as an operation sees it. */
export type OperationInstanceRow = Pick<
  InstanceRow,
  'id' | 'node_id' | 'host_id' | 'relationships' | 'runtime_properties' | 'version'
>;

/** Node instance `instanceId` of the deployment and tenant, as an operation reads it before it runs; or undefined. */
export async function loadOperationInstance(
  db: Db,
  instanceId: string,
  tenantId: number,
  deploymentFk: number,
): Promise<OperationInstanceRow | undefined> {
  const [row] = await db.query<OperationInstanceRow>(
    `SELECT ni.id, n.id AS node_id, ni.host_id, ni.relationships, ni.runtime_properties, ni.version
     FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
     WHERE ni.id = $1 AND ni._tenant_id = $2 AND n._deployment_fk = $3`,
    [instanceId, tenantId, deploymentFk],
  );
  return row;
}
