// Nodes and node instances (rest-api.md §1.6): lists, the worker's bulk inserts after
// create_deployment_environment, and the optimistic-locked node-instance PATCH (stale version → 409).
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';
import { scopeOf, tenantOf } from '../context.js';
import { findDeployment } from '../../store/repositories/deployments.js';
import { badParameters, CloudifyError, conflict, notFoundResource } from '../../common/errors.js';
import {
  listResources,
  parseInclude,
  type ResourceDef,
  scopeSql,
  selectList,
} from '../../store/repositories/list.js';
import { commonFields, fromWithOwner, json } from '../../store/repositories/common.js';
import {
  Any,
  Bool,
  commonProps,
  errorResponses,
  IdParam,
  Include,
  Int,
  ListQuery,
  listOf,
  NStr,
  resource,
  Str,
} from '../schemas/common.js';

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

const NodeBody = resource({
  ...commonProps,
  deployment_id: Str,
  blueprint_id: Str,
  type: Str,
  type_hierarchy: Any,
  properties: Any,
  operations: Any,
  relationships: Any,
  plugins: Any,
  plugins_to_install: Any,
  host_id: NStr,
  number_of_instances: Int,
  planned_number_of_instances: Int,
  deploy_number_of_instances: Int,
  min_number_of_instances: Int,
  max_number_of_instances: Int,
  actual_number_of_instances: Int,
});

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

const NodeInstanceBody = resource({
  ...commonProps,
  node_id: Str,
  deployment_id: Str,
  host_id: NStr,
  state: Str,
  runtime_properties: Any,
  system_properties: Any,
  relationships: Any,
  scaling_groups: Any,
  index: Type.Union([Int, Type.Null()]),
  version: Int,
  has_configuration_drift: Bool,
  is_status_check_ok: Bool,
});

const Obj = Type.Record(Type.String(), Any);
const NodesBulk = Type.Object({ deployment_id: Str, nodes: Type.Array(Obj) }, { additionalProperties: true });
const InstancesBulk = Type.Object(
  { deployment_id: Str, node_instances: Type.Array(Obj) },
  { additionalProperties: true },
);

const onlyDeploymentUpdate = (m: string) => new CloudifyError(403, 'only_deployment_update', m);

const intOr = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) ? v : d);

export async function registerNodeRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;

  const getOne = async (
    def: ResourceDef,
    req: Parameters<typeof scopeOf>[0],
    id: string,
    include?: string[],
  ) => {
    const params: unknown[] = [];
    const where = scopeSql(def, scopeOf(req), params);
    params.push(id);
    where.push(`t.id = $${params.length}`);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT ${selectList(def, include)} FROM ${def.from} WHERE ${where.join(' AND ')}`,
      params,
    );
    if (rows.length === 0) throw notFoundResource(def.kind, id);
    return rows[0];
  };

  app.get(
    '/nodes',
    {
      config: { permission: 'node_list', tenant: true },
      schema: { querystring: ListQuery, response: { 200: listOf(NodeBody), ...errorResponses } },
    },
    async (req) =>
      listResources(db, config, NODES, { query: req.query as Record<string, unknown>, scope: scopeOf(req) }),
  );

  app.post(
    '/nodes',
    {
      config: { permission: 'deployment_update', tenant: true },
      schema: {
        summary: 'Bulk-insert the nodes of a deployment (worker, create_deployment_environment)',
        body: NodesBulk,
        response: { 201: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body as { deployment_id: string; nodes: Record<string, any>[] };
      const dep = await findDeployment(db, scopeOf(req), body.deployment_id);
      const tenant = tenantOf(req);
      await db.transaction(async (tx) => {
        for (const n of body.nodes) {
          const id = n.id ?? n.name;
          if (typeof id !== 'string' || !id) throw badParameters('Each node needs an id');
          if (typeof n.type !== 'string') throw badParameters(`Node ${id} needs a type`);
          const scalable = n.capabilities?.scalable?.properties ?? {};
          const count = intOr(
            n.number_of_instances,
            intOr(scalable.current_instances, intOr(scalable.default_instances, 1)),
          );
          await tx.query(
            `INSERT INTO nodes (id, visibility, _tenant_id, _creator_id, _deployment_fk, type, type_hierarchy, properties,
               operations, relationships, plugins, plugins_to_install, host_id, number_of_instances,
               planned_number_of_instances, deploy_number_of_instances, min_number_of_instances, max_number_of_instances)
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb, $10::text::jsonb,
               $11::text::jsonb, $12::text::jsonb, $13, $14, $15, $16, $17, $18)`,
            [
              id,
              dep.visibility,
              tenant.id,
              req.auth.user.id,
              dep._storage_id,
              n.type,
              JSON.stringify(n.type_hierarchy ?? [n.type]),
              JSON.stringify(n.properties ?? {}),
              JSON.stringify(n.operations ?? {}),
              JSON.stringify(n.relationships ?? []),
              JSON.stringify(n.plugins ?? []),
              n.plugins_to_install === undefined ? null : JSON.stringify(n.plugins_to_install),
              n.host_id ?? null,
              count,
              intOr(n.planned_number_of_instances, intOr(scalable.planned_instances, count)),
              intOr(n.deploy_number_of_instances, intOr(scalable.default_instances, count)),
              intOr(n.min_number_of_instances, intOr(scalable.min_instances, 0)),
              intOr(n.max_number_of_instances, intOr(scalable.max_instances, -1)),
            ],
          );
        }
      });
      return reply.code(201).send(null);
    },
  );

  app.get(
    '/node-instances',
    {
      config: { permission: 'node_instance_list', tenant: true },
      schema: { querystring: ListQuery, response: { 200: listOf(NodeInstanceBody), ...errorResponses } },
    },
    async (req) =>
      listResources(db, config, NODE_INSTANCES, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      }),
  );

  app.get(
    '/node-instances/:id',
    {
      config: { permission: 'node_instance_get', tenant: true },
      schema: {
        params: IdParam,
        querystring: Include,
        response: { 200: NodeInstanceBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const include = parseInclude(NODE_INSTANCES, (req.query as { _include?: string })._include);
      return getOne(NODE_INSTANCES, req, id, include);
    },
  );

  app.post(
    '/node-instances',
    {
      config: { permission: 'deployment_update', tenant: true },
      schema: {
        summary: 'Bulk-insert node instances (worker, create_deployment_environment and scale)',
        body: InstancesBulk,
        response: { 201: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body as { deployment_id: string; node_instances: Record<string, any>[] };
      const dep = await findDeployment(db, scopeOf(req), body.deployment_id);
      const tenant = tenantOf(req);
      await db.transaction(async (tx) => {
        const nodes = await tx.query<{ id: string; _storage_id: number }>(
          'SELECT id, _storage_id FROM nodes WHERE _deployment_fk = $1',
          [dep._storage_id],
        );
        const nodeFk = new Map(nodes.map((n) => [n.id, n._storage_id]));
        for (const ni of body.node_instances) {
          if (typeof ni.id !== 'string' || !ni.id) throw badParameters('Each node instance needs an id');
          const fk = nodeFk.get(ni.node_id);
          if (fk === undefined) {
            throw badParameters(
              `Node instance ${ni.id}: node \`${ni.node_id}\` is not a node of deployment ${dep.id}`,
            );
          }
          await tx.query(
            `INSERT INTO node_instances (id, visibility, _tenant_id, _creator_id, _node_fk, state, runtime_properties,
               system_properties, relationships, host_id, index, scaling_groups, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb, $10, $11, $12::text::jsonb, $13)`,
            [
              ni.id,
              dep.visibility,
              tenant.id,
              req.auth.user.id,
              fk,
              typeof ni.state === 'string' ? ni.state : 'uninitialized',
              JSON.stringify(ni.runtime_properties ?? {}),
              JSON.stringify(ni.system_properties ?? {}),
              JSON.stringify(ni.relationships ?? []),
              ni.host_id ?? null,
              Number.isInteger(ni.index) ? ni.index : null,
              JSON.stringify(ni.scaling_groups ?? []),
              intOr(ni.version, 1),
            ],
          );
        }
      });
      return reply.code(201).send(null);
    },
  );

  app.patch(
    '/node-instances/:id',
    {
      config: { permission: 'node_instance_update', tenant: true },
      schema: {
        summary: 'Update a node instance; `version` must match the stored one (optimistic lock)',
        params: IdParam,
        querystring: Type.Object({ force: Type.Optional(Bool) }, { additionalProperties: true }),
        body: Type.Object(
          {
            version: Type.Integer(),
            state: Type.Optional(Str),
            runtime_properties: Type.Optional(Obj),
            system_properties: Type.Optional(Obj),
            relationships: Type.Optional(Type.Array(Any)),
          },
          { additionalProperties: true },
        ),
        response: { 200: NodeInstanceBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const force = (req.query as { force?: boolean }).force === true;
      const body = req.body as {
        version: number;
        state?: string;
        runtime_properties?: Record<string, unknown>;
        system_properties?: Record<string, unknown>;
        relationships?: unknown[];
      };
      if (body.relationships !== undefined) {
        throw onlyDeploymentUpdate('Node instance relationships can only be changed by a deployment update');
      }
      const scope = scopeOf(req);
      const params: unknown[] = [];
      const where = scopeSql(NODE_INSTANCES, scope, params);
      params.push(id);
      where.push(`t.id = $${params.length}`);
      const found = await db.query<{ _storage_id: number; version: number }>(
        `SELECT t._storage_id, t.version FROM node_instances t WHERE ${where.join(' AND ')}`,
        params,
      );
      if (found.length === 0) throw notFoundResource('NodeInstance', id);
      const updated = await db.query(
        `UPDATE node_instances SET version = version + 1,
           state = coalesce($3, state),
           runtime_properties = coalesce($4::text::jsonb, runtime_properties),
           system_properties = coalesce($5::text::jsonb, system_properties)
         WHERE _storage_id = $1 AND ($6 OR version = $2) RETURNING version`,
        [
          found[0]._storage_id,
          body.version,
          body.state ?? null,
          body.runtime_properties === undefined ? null : JSON.stringify(body.runtime_properties),
          body.system_properties === undefined ? null : JSON.stringify(body.system_properties),
          force,
        ],
      );
      if (updated.length === 0) {
        const [cur] = await db.query<{ version: number }>(
          'SELECT version FROM node_instances WHERE _storage_id = $1',
          [found[0]._storage_id],
        );
        throw conflict(`Node instance update conflict [current version=${cur?.version ?? found[0].version}]`);
      }
      return getOne(NODE_INSTANCES, req, id);
    },
  );
}
