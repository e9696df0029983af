// The cluster registry (rest-api.md §1.1, §4.2): managers, brokers and db nodes (read only; each
// manager upserts its own row at start) and a best-effort /cluster-status (src/manager/cluster/status.ts).
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { clusterStatus } from '../cluster/status.js';
import { isAdmin, type ManagerContext, scopeOf } from '../context.js';
import { listResources, type ResourceDef } from '../../store/repositories/list.js';
import { json, ts } from '../../store/repositories/common.js';
import { Any, Bool, errorResponses, Int, ListQuery, listOf, NStr, resource, Str } from '../schemas/common.js';

const CA = 'LEFT JOIN certificates c ON c.id = t._ca_cert_id';

export const managerDef: ResourceDef = {
  kind: 'Manager',
  from: `managers t ${CA}`,
  tenantScoped: false,
  orderBy: 't.id',
  fields: {
    id: { sql: 't.id' },
    hostname: { sql: 't.hostname' },
    private_ip: { sql: 't.private_ip' },
    public_ip: { sql: 't.public_ip' },
    version: { sql: 't.version' },
    edition: { sql: 't.edition' },
    distribution: { sql: 't.distribution' },
    distro_release: { sql: 't.distro_release' },
    fs_sync_node_id: { sql: 't.fs_sync_node_id' },
    networks: json('t.networks'),
    last_seen: { sql: ts('t.last_seen') },
    status_report_frequency: { sql: 't.status_report_frequency' },
    ca_cert_content: { sql: 'c.value', filter: false },
  },
};

export const brokerDef: ResourceDef = {
  kind: 'RabbitMQBroker',
  from: `rabbitmq_brokers t ${CA}`,
  tenantScoped: false,
  orderBy: 't.name',
  fields: {
    name: { sql: 't.name' },
    host: { sql: 't.host' },
    management_host: { sql: 't.management_host' },
    port: { sql: 't.port' },
    username: { sql: 't.username', filter: false },
    password: { sql: 't.password', filter: false },
    params: json('t.params'),
    networks: json('t.networks'),
    is_external: { sql: 't.is_external' },
    ca_cert_content: { sql: 'c.value', filter: false },
  },
};

export const dbNodeDef: ResourceDef = {
  kind: 'DBNode',
  from: 'db_nodes t',
  tenantScoped: false,
  orderBy: 't.name',
  fields: {
    name: { sql: 't.name' },
    node_id: { sql: 't.name' },
    host: { sql: 't.host' },
    is_external: { sql: 't.is_external' },
  },
};

const ManagerBody = resource({
  id: Int,
  hostname: Str,
  private_ip: Str,
  public_ip: Str,
  version: Str,
  edition: Str,
  distribution: Str,
  distro_release: Str,
  fs_sync_node_id: NStr,
  networks: Any,
  last_seen: Str,
  status_report_frequency: Type.Union([Int, Type.Null()]),
  ca_cert_content: NStr,
});
const BrokerBody = resource({
  name: Str,
  host: Str,
  management_host: NStr,
  port: Type.Union([Int, Type.Null()]),
  username: NStr,
  password: NStr,
  params: Any,
  networks: Any,
  is_external: Bool,
  ca_cert_content: NStr,
});
const DbNodeBody = resource({ name: Str, node_id: Str, host: Str, is_external: Bool });
const ClusterBody = Type.Object({
  status: Type.String(),
  services: Type.Record(Type.String(), Type.Any()),
});

export async function registerClusterRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
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
    async (req) =>
      listResources(db, config, managerDef, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      }),
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
      const list = await listResources<Record<string, unknown>>(db, config, brokerDef, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      });
      // Cloudify's broker_credentials permission is held by sys_admin only.
      if (!isAdmin(req)) {
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
    async (req) =>
      listResources(db, config, dbNodeDef, {
        query: req.query as Record<string, unknown>,
        scope: scopeOf(req),
      }),
  );

  app.get(
    '/cluster-status',
    {
      config: { permission: 'cluster_status_get' },
      schema: {
        summary: 'Health of the managers, database and broker nodes',
        querystring: Type.Object(
          { summary: Type.Optional(Type.String()), detailed: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: ClusterBody, 500: ClusterBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const report = await clusterStatus(db, config);
      const summary = /^(true|1)$/i.test((req.query as { summary?: string }).summary ?? '');
      if (summary)
        return reply.code(report.status === 'Fail' ? 500 : 200).send({ status: report.status, services: {} });
      return report;
    },
  );
}
