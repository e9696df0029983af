// Nodes: the list/get field map, the bulk insert (REST, create_deployment_environment, scale), and the
// plan and properties the worker reads. Their instances are in node-instances.ts.
import type { PlanNode } from '../../engine/index.js';
import type { Db } from '../port.js';
import { commonFields, fromWithOwner, json, jsonParam } from './common.js';
import type { ResourceDef } from './list.js';

const GROUP_PLANNED = "(g.value->'properties'->>'planned_instances')::numeric";
const PLANNED_WITH_GROUPS = `(t.planned_number_of_instances * coalesce((
  SELECT CASE WHEN bool_or(${GROUP_PLANNED} = 0) THEN 0 ELSE round(exp(sum(ln(${GROUP_PLANNED})))) END
  FROM jsonb_each(coalesce(d.scaling_groups, '{}'::jsonb)) g
  WHERE g.value->'members' ?| ARRAY[t.id, coalesce(t.host_id, t.id)]), 1))::int`;

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
    // 5.1: the planned instances times the planned instances of every scaling group holding the node
    // or its host.
    actual_planned_number_of_instances: { sql: PLANNED_WITH_GROUPS, filter: false },
  },
};

export interface NodeRow extends PlanNode {
  _storage_id: number;
  properties: Record<string, unknown>;
  number_of_instances: number;
  planned_number_of_instances: number;
}

export async function loadNodes(db: Db, deploymentFk: number): Promise<NodeRow[]> {
  return db.query<NodeRow>(
    `SELECT _storage_id, id, id AS name, type, type_hierarchy, properties, operations, relationships, plugins, host_id,
       number_of_instances, planned_number_of_instances
     FROM nodes WHERE _deployment_fk = $1 ORDER BY _storage_id`,
    [deploymentFk],
  );
}

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

/**
 * A node of a prepared deployment plan as stored: instance counts from its scalable capability, or `count`
 * (a deployment update keeps an existing node's current count).
 */
export function planNodeRow(n: Record<string, any>, count?: number): NodeInsert {
  const scalable = n.capabilities?.scalable?.properties ?? {};
  const deploy = scalable.default_instances ?? n.instances?.deploy ?? 1;
  return {
    id: n.id ?? n.name,
    type: n.type,
    type_hierarchy: n.type_hierarchy ?? [],
    properties: n.properties ?? {},
    operations: n.operations ?? {},
    relationships: n.relationships ?? [],
    plugins: n.plugins ?? [],
    plugins_to_install: n.plugins_to_install ?? null,
    host_id: n.host_id ?? null,
    number_of_instances: count ?? deploy,
    planned_number_of_instances: count ?? scalable.planned_instances ?? deploy,
    deploy_number_of_instances: deploy,
    min_number_of_instances: scalable.min_instances ?? 0,
    max_number_of_instances: scalable.max_instances ?? -1,
  };
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
          jsonParam(n.type_hierarchy),
          jsonParam(n.properties),
          jsonParam(n.operations),
          jsonParam(n.relationships),
          jsonParam(n.plugins),
          n.plugins_to_install === undefined ? null : jsonParam(n.plugins_to_install),
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

/** Removes the deployment's nodes and, through the foreign key, their instances. */
export async function deleteNodes(tx: Db, deploymentFk: number): Promise<void> {
  await tx.query('DELETE FROM nodes WHERE _deployment_fk = $1', [deploymentFk]);
}

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
