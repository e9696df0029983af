// Nodes and node instances (rest-api.md §1.6): lists, the worker's bulk inserts after
// create_deployment_environment, and the optimistic-locked node-instance PATCH (stale version → 409).
import { Type } from 'typebox';
import { badParameters, CloudifyError } from '../../common/errors.js';
import { findDeployment } from '../../store/repositories/deployments.js';
import { getVisible, listResources, parseInclude, publicRow } from '../../store/repositories/list.js';
import { insertNodes, type NodeInsert, NODES, nodeKeys } from '../../store/repositories/nodes.js';
import {
  insertNodeInstances,
  NODE_INSTANCES,
  type NodeInstanceInsert,
  patchNodeInstance,
} from '../../store/repositories/node-instances.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { errorResponses, IdParam, Include, ListQuery, listOf } from '../schemas/common.js';
import {
  InstancePatchBody,
  InstancePatchQuery,
  InstancesBulk,
  NodeBody,
  NodeInstanceBody,
  NodesBulk,
} from '../schemas/nodes.js';

const onlyDeploymentUpdate = (m: string) => new CloudifyError(403, 'only_deployment_update', m);

const intOr = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) ? v : d);

export async function registerNodeRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerNodes(app, ctx);
  registerInstanceReads(app, ctx);
  registerInstanceWrites(app, ctx);
}

function registerNodes(app: Api, ctx: ManagerContext): void {
  const { db, config } = ctx;
  app.get(
    '/nodes',
    {
      config: { permission: 'node_list', tenant: true },
      schema: { querystring: ListQuery, response: { 200: listOf(NodeBody), ...errorResponses } },
    },
    async (req) => listResources(db, config, NODES, { query: req.query, scope: scopeOf(req) }),
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
      const dep = await findDeployment(db, scopeOf(req), req.body.deployment_id);
      const nodes = req.body.nodes.map(nodeInsert);
      const owner = { tenantId: tenantOf(req).id, creatorId: req.auth.user.id, visibility: dep.visibility };
      await insertNodes(db, owner, dep._storage_id, nodes);
      return reply.code(201).send(null);
    },
  );
}

/** A node of the bulk insert as stored: counts from the body, else from its scalable capability. */
function nodeInsert(n: Record<string, any>): NodeInsert {
  const id = n.id ?? n.name;
  if (typeof id !== 'string' || !id) throw badParameters('Each node needs an id');
  if (typeof n.type !== 'string') throw badParameters(`Node ${id} needs a type`);
  const scalable = n.capabilities?.scalable?.properties ?? {};
  const count = intOr(
    n.number_of_instances,
    intOr(scalable.current_instances, intOr(scalable.default_instances, 1)),
  );
  return {
    id,
    type: n.type,
    type_hierarchy: n.type_hierarchy ?? [n.type],
    properties: n.properties ?? {},
    operations: n.operations ?? {},
    relationships: n.relationships ?? [],
    plugins: n.plugins ?? [],
    plugins_to_install: n.plugins_to_install,
    host_id: n.host_id ?? null,
    number_of_instances: count,
    planned_number_of_instances: intOr(
      n.planned_number_of_instances,
      intOr(scalable.planned_instances, count),
    ),
    deploy_number_of_instances: intOr(n.deploy_number_of_instances, intOr(scalable.default_instances, count)),
    min_number_of_instances: intOr(n.min_number_of_instances, intOr(scalable.min_instances, 0)),
    max_number_of_instances: intOr(n.max_number_of_instances, intOr(scalable.max_instances, -1)),
  };
}

function registerInstanceReads(app: Api, ctx: ManagerContext): void {
  const { db, config } = ctx;
  app.get(
    '/node-instances',
    {
      config: { permission: 'node_instance_list', tenant: true },
      schema: { querystring: ListQuery, response: { 200: listOf(NodeInstanceBody), ...errorResponses } },
    },
    async (req) => listResources(db, config, NODE_INSTANCES, { query: req.query, scope: scopeOf(req) }),
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
      const include = parseInclude(NODE_INSTANCES, req.query._include);
      return publicRow(await getVisible(db, NODE_INSTANCES, scopeOf(req), req.params.id, { include }));
    },
  );
}

function registerInstanceWrites(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
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
      const dep = await findDeployment(db, scopeOf(req), req.body.deployment_id);
      const nodeFk = await nodeKeys(db, dep._storage_id);
      const instances = req.body.node_instances.map((ni): NodeInstanceInsert => {
        if (typeof ni.id !== 'string' || !ni.id) throw badParameters('Each node instance needs an id');
        const fk = nodeFk.get(ni.node_id);
        if (fk === undefined) {
          throw badParameters(
            `Node instance ${ni.id}: node \`${ni.node_id}\` is not a node of deployment ${dep.id}`,
          );
        }
        return {
          id: ni.id,
          nodeFk: fk,
          state: typeof ni.state === 'string' ? ni.state : 'uninitialized',
          runtime_properties: ni.runtime_properties ?? {},
          system_properties: ni.system_properties ?? {},
          relationships: ni.relationships ?? [],
          host_id: ni.host_id ?? null,
          index: Number.isInteger(ni.index) ? ni.index : null,
          scaling_groups: ni.scaling_groups ?? [],
          version: intOr(ni.version, 1),
        };
      });
      const owner = { tenantId: tenantOf(req).id, creatorId: req.auth.user.id, visibility: dep.visibility };
      await insertNodeInstances(db, owner, instances);
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
        querystring: InstancePatchQuery,
        body: InstancePatchBody,
        response: { 200: NodeInstanceBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { relationships, ...patch } = req.body;
      if (relationships !== undefined) {
        throw onlyDeploymentUpdate('Node instance relationships can only be changed by a deployment update');
      }
      const scope = scopeOf(req);
      await patchNodeInstance(db, scope, id, patch, req.query.force ?? false);
      return publicRow(await getVisible(db, NODE_INSTANCES, scope, id));
    },
  );
}
