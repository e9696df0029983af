// The cluster registry (rest-api.md §1.1, §4.2): managers, brokers and db nodes (each manager upserts
// its own row at start; brokers are registered through routes/brokers.ts) and /cluster-status
// (src/manager/cluster/status.ts: from the local Prometheus, or the manager's own checks without one).
// `?summary=true` answers only `{status, services: {}}`, with HTTP 500 when the status is Fail (as 5.1).
import { Type } from 'typebox';
import { listResources } from '../../store/repositories/list.js';
import { BROKERS, DB_NODES, MANAGERS } from '../../store/repositories/managers.js';
import { clusterStatus } from '../cluster/status.js';
import { registerBrokerWrites } from './brokers.js';
import { hasPermission } from '../auth/permissions.js';
import { type Api, type ManagerContext, scopeOf } from '../context.js';
import { BrokerBody, ClusterBody, DbNodeBody, ManagerBody } from '../schemas/cluster.js';
import { ErrorBody, errorResponses, Flag, ListQuery, listOf } from '../schemas/common.js';

export async function registerClusterRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerNodeLists(app, ctx);
  registerBrokerWrites(app, ctx);
  registerClusterStatus(app, ctx);
}

function registerNodeLists(app: Api, ctx: ManagerContext): void {
  const { db, config } = ctx;
  app.get(
    '/managers',
    {
      config: { permission: 'manager_get' },
      schema: {
        summary: 'List the managers of the cluster (?hostname= filters)',
        querystring: ListQuery,
        response: { 200: listOf(ManagerBody), ...errorResponses },
      },
    },
    async (req) => listResources(db, config, MANAGERS, { query: req.query, scope: scopeOf(req) }),
  );

  app.get(
    '/brokers',
    {
      config: { permission: 'broker_get' },
      schema: {
        summary: 'List the RabbitMQ brokers (credentials only for sys_admin)',
        querystring: ListQuery,
        response: { 200: listOf(BrokerBody), ...errorResponses },
      },
    },
    async (req) => {
      const list = await listResources(db, config, BROKERS, { query: req.query, scope: scopeOf(req) });
      // Cloudify's broker_credentials permission (sys_admin only by default).
      if (!hasPermission(req.auth.roles, 'broker_credentials')) {
        for (const b of list.items) {
          if ('username' in b) b.username = null;
          if ('password' in b) b.password = null;
        }
      }
      return list;
    },
  );

  app.get(
    '/db-nodes',
    {
      config: { permission: 'db_nodes_get' },
      schema: {
        summary: 'List the database nodes',
        querystring: ListQuery,
        response: { 200: listOf(DbNodeBody), ...errorResponses },
      },
    },
    async (req) => listResources(db, config, DB_NODES, { query: req.query, scope: scopeOf(req) }),
  );
}

function registerClusterStatus(app: Api, ctx: ManagerContext): void {
  app.get(
    '/cluster-status',
    {
      config: { permission: 'cluster_status_get' },
      schema: {
        summary: 'Health of the managers, database and broker nodes',
        querystring: Type.Object({ summary: Flag, detailed: Flag }, { additionalProperties: false }),
        // 500: the summary of a failed cluster, or an error of the request itself
        response: { 200: ClusterBody, 500: Type.Union([ClusterBody, ErrorBody]), ...errorResponses },
      },
    },
    async (req, reply) => {
      // Prometheus unreachable or refusing the credentials is part of the answer (each node's
      // failures), never an error of this request; the log gets it once.
      const report = await clusterStatus(ctx.db, ctx.config, {
        onPrometheusError: (message) => req.log.warn(message),
      });
      if (req.query.summary)
        return reply.code(report.status === 'Fail' ? 500 : 200).send({ status: report.status, services: {} });
      return report;
    },
  );
}
