// Events and logs (rest-api.md §1.7, §6.5): the workers' batch POST (execution token or a user with
// event_create) and the flattened, filtered, paged GET over both tables.
import { Type } from 'typebox';
import { badParameters, notFoundResource } from '../../common/errors.js';
import { sha256 } from '../../common/tokens.js';
import {
  executionIdOfToken,
  findEventsExecution,
  listEvents,
  storeEventBatch,
} from '../../store/repositories/events.js';
import { type Api, type ManagerContext, tenantOf } from '../context.js';
import { Any, errorResponses, Int, listOf, NStr, resource, Str } from '../schemas/common.js';

// Cloudify 5.1's item keys (resources_v3 Events): both kinds carry error_causes (null on logs);
// events have event_type, logs logger and level.
const EventItem = resource({
  _storage_id: Int,
  timestamp: Str,
  reported_timestamp: Str,
  blueprint_id: NStr,
  deployment_id: NStr,
  execution_id: NStr,
  workflow_id: NStr,
  message: NStr,
  error_causes: Any,
  event_type: NStr,
  operation: NStr,
  node_instance_id: NStr,
  node_name: NStr,
  source_id: NStr,
  target_id: NStr,
  logger: NStr,
  level: NStr,
  type: Str,
});

const LogItem = Type.Object(
  {
    context: Type.Optional(Type.Record(Type.String(), Any)),
    message: Type.Optional(Any),
    timestamp: Type.Optional(NStr),
    event_type: Type.Optional(NStr),
    logger: Type.Optional(NStr),
    level: Type.Optional(NStr),
    message_code: Type.Optional(NStr),
  },
  { additionalProperties: true },
);

const EventBatch = Type.Object(
  {
    events: Type.Optional(Type.Array(LogItem)),
    logs: Type.Optional(Type.Array(LogItem)),
    execution_id: Type.Optional(NStr),
    execution_group_id: Type.Optional(NStr),
    manager_name: Type.Optional(NStr),
    agent_name: Type.Optional(NStr),
  },
  { additionalProperties: true },
);

const EventsQuery = Type.Object(
  {
    _offset: Type.Optional(Type.String({ pattern: '^\\d+$' })),
    _size: Type.Optional(Type.String({ pattern: '^\\d+$' })),
  },
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
);

export async function registerEventRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerPost(app, ctx);
  registerList(app, ctx);
}

function registerPost(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.post(
    '/events',
    {
      config: { permission: 'event_create', tenant: true },
      schema: {
        summary: 'Store a batch of events and logs (workers)',
        body: EventBatch,
        response: { 201: Type.Null(), 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const events = body.events ?? [];
      const logs = body.logs ?? [];
      if (events.length === 0 && logs.length === 0) return reply.code(204).send(null);
      const tenant = tenantOf(req);
      // The worker may leave execution_id out: its Execution-Token says which execution it runs.
      const token = req.headers['execution-token'];
      const tokenValue = Array.isArray(token) ? token[0] : token;
      const execId =
        body.execution_id ??
        req.auth.execution?.id ??
        (tokenValue ? await executionIdOfToken(db, sha256(tokenValue)) : undefined) ??
        events[0]?.context?.execution_id ??
        logs[0]?.context?.execution_id;
      if (!execId) throw badParameters('Events need an execution: pass execution_id');
      const execution = await findEventsExecution(db, execId, tenant.id);
      if (!execution) throw notFoundResource('Execution', String(execId));
      const target = {
        tenantId: tenant.id,
        creatorId: req.auth.user.id,
        execution,
        managerName: body.manager_name ?? null,
        agentName: body.agent_name ?? null,
      };
      await storeEventBatch(db, target, events, logs);
      return reply.code(201).send(null);
    },
  );
}

function registerList(app: Api, ctx: ManagerContext): void {
  app.get(
    '/events',
    {
      config: { permission: 'event_list', tenant: true },
      schema: {
        summary: 'Events and logs, flattened (type cloudify_event | cloudify_log)',
        querystring: EventsQuery,
        response: { 200: listOf(EventItem), ...errorResponses },
      },
    },
    async (req) => listEvents(ctx.db, ctx.config, req.query, tenantOf(req).id),
  );
}
