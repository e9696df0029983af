// Events and logs (rest-api.md §1.7, §6.5): the workers' batch POST (execution token or a user with
// event_create) and the flattened, filtered, paged GET over both tables.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import { sha256 } from '../../common/tokens.js';
import type { ManagerContext } from '../context.js';
import { scopeOf, tenantOf } from '../context.js';
import { badParameters, notFoundResource } from '../../common/errors.js';
import { Any, errorResponses, listOf, NStr, resource, Str } from '../schemas/common.js';

/** Default `_size` of GET /events (Cloudify's events default). */
export const EVENTS_DEFAULT_SIZE = 10000;

const EventItem = resource({
  timestamp: Str,
  reported_timestamp: Str,
  blueprint_id: NStr,
  deployment_id: NStr,
  deployment_display_name: NStr,
  execution_id: NStr,
  execution_group_id: NStr,
  workflow_id: NStr,
  message: NStr,
  message_code: NStr,
  error_causes: Any,
  event_type: NStr,
  operation: NStr,
  node_instance_id: NStr,
  node_name: NStr,
  source_id: NStr,
  target_id: NStr,
  manager_name: NStr,
  agent_name: NStr,
  logger: NStr,
  level: NStr,
  type: Str,
});

// Columns of the flattened union; `text` ones are usable as filters.
const COLUMNS: Record<string, { ev: string; log: string; filter?: 'eq' | 'ilike' | false }> = {
  timestamp: { ev: 'e.timestamp', log: 'e.timestamp', filter: false },
  reported_timestamp: { ev: 'e.reported_timestamp', log: 'e.reported_timestamp', filter: false },
  blueprint_id: { ev: 'x.blueprint_id', log: 'x.blueprint_id' },
  deployment_id: { ev: 'd.id', log: 'd.id' },
  deployment_display_name: { ev: 'coalesce(d.display_name, d.id)', log: 'coalesce(d.display_name, d.id)' },
  execution_id: { ev: 'x.id', log: 'x.id' },
  execution_group_id: { ev: 'NULL::text', log: 'NULL::text' },
  workflow_id: { ev: 'x.workflow_id', log: 'x.workflow_id' },
  message: { ev: 'e.message', log: 'e.message', filter: 'ilike' },
  message_code: { ev: 'e.message_code', log: 'e.message_code' },
  error_causes: { ev: 'e.error_causes', log: 'NULL::jsonb', filter: false },
  event_type: { ev: 'e.event_type', log: 'NULL::text' },
  operation: { ev: 'e.operation', log: 'e.operation' },
  node_instance_id: { ev: 'e.node_id', log: 'e.node_id' },
  node_id: { ev: 'e.node_id', log: 'e.node_id' },
  node_name: { ev: 'nn.name', log: 'nn.name' },
  source_id: { ev: 'e.source_id', log: 'e.source_id' },
  target_id: { ev: 'e.target_id', log: 'e.target_id' },
  manager_name: { ev: 'e.manager_name', log: 'e.manager_name' },
  agent_name: { ev: 'e.agent_name', log: 'e.agent_name' },
  logger: { ev: 'NULL::text', log: 'e.logger' },
  level: { ev: 'NULL::text', log: 'e.level' },
  type: { ev: "'cloudify_event'::text", log: "'cloudify_log'::text" },
};
const OUTPUT = Object.keys(COLUMNS).filter((k) => k !== 'node_id');

const fromOf = (table: string) => `${table} e
  LEFT JOIN executions x ON x._storage_id = e._execution_fk
  LEFT JOIN deployments d ON d._storage_id = x._deployment_fk
  LEFT JOIN LATERAL (SELECT n.id AS name FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
    WHERE ni.id = e.node_id AND ni._tenant_id = e._tenant_id LIMIT 1) nn ON true`;

const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

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

interface Item {
  context?: Record<string, any>;
  message?: { text?: unknown } | string;
  timestamp?: string | null;
  event_type?: string | null;
  logger?: string | null;
  level?: string | null;
  message_code?: string | null;
}

const textOf = (m: Item['message']): string | null =>
  typeof m === 'string' ? m : m && typeof m === 'object' && m.text != null ? String(m.text) : null;

function timestampOf(v: unknown, what: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) throw badParameters(`${what}: timestamp "${String(v)}" is not a valid date`);
  return d.toISOString();
}

export async function registerEventRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;

  // The execution an Execution-Token belongs to (the worker may leave execution_id out).
  const executionOfToken = async (h: string | string[] | undefined): Promise<string | undefined> => {
    const token = Array.isArray(h) ? h[0] : h;
    if (!token) return undefined;
    const rows = await db.query<{ id: string }>('SELECT id FROM executions WHERE token = $1', [
      sha256(token),
    ]);
    return rows[0]?.id;
  };

  app.post(
    '/events',
    {
      config: { permission: 'event_create', tenant: true },
      schema: {
        summary: 'Store a batch of events and logs (workers)',
        body: Type.Object(
          {
            events: Type.Optional(Type.Array(LogItem)),
            logs: Type.Optional(Type.Array(LogItem)),
            execution_id: Type.Optional(NStr),
            execution_group_id: Type.Optional(NStr),
            manager_name: Type.Optional(NStr),
            agent_name: Type.Optional(NStr),
          },
          { additionalProperties: true },
        ),
        response: { 201: Type.Null(), 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as {
        events?: Item[];
        logs?: Item[];
        execution_id?: string | null;
        manager_name?: string | null;
        agent_name?: string | null;
      };
      const events = body.events ?? [];
      const logs = body.logs ?? [];
      if (events.length === 0 && logs.length === 0) return reply.code(204).send();
      const tenant = tenantOf(req);
      const execId =
        body.execution_id ??
        req.auth.execution?.id ??
        (await executionOfToken(req.headers['execution-token'])) ??
        events[0]?.context?.execution_id ??
        logs[0]?.context?.execution_id;
      if (!execId) throw badParameters('Events need an execution: pass execution_id');
      const ex = await db.query<{ _storage_id: number; visibility: string }>(
        "SELECT _storage_id, visibility FROM executions WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')",
        [execId, tenant.id],
      );
      if (ex.length === 0) throw notFoundResource('Execution', String(execId));
      const reported = new Date().toISOString();
      const common = (it: Item, i: number, kind: string) => {
        const c = it.context ?? {};
        const text = textOf(it.message);
        if (text === null) throw badParameters(`${kind}[${i}]: message.text is required`);
        return [
          timestampOf(it.timestamp, `${kind}[${i}]`) ?? reported,
          reported,
          tenant.id,
          req.auth.user.id,
          ex[0].visibility,
          ex[0]._storage_id,
          text,
          it.message_code ?? null,
          c.operation ?? null,
          c.node_id ?? null,
          c.source_id ?? null,
          c.target_id ?? null,
          body.manager_name ?? null,
          body.agent_name ?? null,
        ];
      };
      const evRows = events.map((it, i) => {
        if (typeof it.event_type !== 'string') throw badParameters(`events[${i}]: event_type is required`);
        const causes = it.context?.task_error_causes;
        return [
          ...common(it, i, 'events'),
          it.event_type,
          causes === undefined ? null : JSON.stringify(causes),
        ];
      });
      const logRows = logs.map((it, i) => {
        if (typeof it.logger !== 'string' || typeof it.level !== 'string') {
          throw badParameters(`logs[${i}]: logger and level are required`);
        }
        return [...common(it, i, 'logs'), it.logger, it.level];
      });
      const base =
        'timestamp, reported_timestamp, _tenant_id, _creator_id, visibility, _execution_fk, message, message_code, operation, node_id, source_id, target_id, manager_name, agent_name';
      await db.transaction(async (tx) => {
        for (const r of evRows) {
          await tx.query(
            `INSERT INTO events (${base}, event_type, error_causes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text::jsonb)`,
            r,
          );
        }
        for (const r of logRows) {
          await tx.query(
            `INSERT INTO logs (${base}, logger, level)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
            r,
          );
        }
      });
      return reply.code(201).send(null);
    },
  );

  app.get(
    '/events',
    {
      config: { permission: 'event_list', tenant: true },
      schema: {
        summary: 'Events and logs, flattened (type cloudify_event | cloudify_log)',
        querystring: Type.Object(
          {
            _offset: Type.Optional(Type.String({ pattern: '^\\d+$' })),
            _size: Type.Optional(Type.String({ pattern: '^\\d+$' })),
          },
          { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
        ),
        response: { 200: listOf(EventItem), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query as Record<string, string | string[] | undefined>;
      const offset = q._offset === undefined ? 0 : Number(q._offset);
      const size = q._size === undefined ? EVENTS_DEFAULT_SIZE : Number(q._size);
      if (size > Math.max(config.maxPageSize, EVENTS_DEFAULT_SIZE)) {
        throw badParameters(
          `_size ${size} is over the limit of ${Math.max(config.maxPageSize, EVENTS_DEFAULT_SIZE)}: use _offset for more`,
        );
      }
      const known = new Set([
        '_offset',
        '_size',
        '_sort',
        '_range',
        '_include',
        '_get_all_results',
        '_all_tenants',
      ]);
      const badUnderscore = Object.keys(q).filter((k) => k.startsWith('_') && !known.has(k));
      if (badUnderscore.length) throw badParameters(`Unknown query parameters: ${badUnderscore.join(', ')}`);
      const filterKeys = Object.keys(q).filter((k) => !k.startsWith('_'));
      const bad = filterKeys.filter((k) => !COLUMNS[k] || COLUMNS[k].filter === false);
      if (bad.length) {
        throw badParameters(
          `Filter keys '${JSON.stringify(bad)}' do not exist. Allowed keys are: ${Object.keys(COLUMNS)
            .filter((k) => COLUMNS[k].filter !== false)
            .join(', ')}`,
        );
      }
      const types = asList(q.type);
      for (const t of types) {
        if (t !== 'cloudify_event' && t !== 'cloudify_log') {
          throw badParameters(`type must be cloudify_event or cloudify_log, got "${t}"`);
        }
      }
      const tenantId = scopeOf(req).tenantId ?? -1;
      const build = (kind: 'ev' | 'log', table: string, params: unknown[]) => {
        const where = [`(e._tenant_id = $1 OR e.visibility = 'global')`];
        for (const k of filterKeys) {
          if (k === 'type') continue;
          const col = COLUMNS[k][kind];
          const values = asList(q[k]);
          if (COLUMNS[k].filter === 'ilike') {
            const ors = values.map((v) => {
              params.push(`%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
              return `${col} ILIKE $${params.length}`;
            });
            where.push(`(${ors.join(' OR ')})`);
          } else {
            const ph = values.map((v) => {
              params.push(v);
              return `$${params.length}`;
            });
            where.push(`(${col})::text IN (${ph.join(', ')})`);
          }
        }
        for (const r of asList(q._range)) {
          const [field, from, to] = r.split(',');
          if (field !== 'timestamp' && field !== '@timestamp' && field !== 'reported_timestamp') {
            throw badParameters(`_range "${r}": use timestamp or reported_timestamp,from,to`);
          }
          const col = field === 'reported_timestamp' ? 'e.reported_timestamp' : 'e.timestamp';
          const f = timestampOf(from, '_range');
          const t = timestampOf(to, '_range');
          if (f) {
            params.push(f);
            where.push(`${col} >= $${params.length}::timestamptz`);
          }
          if (t) {
            params.push(t);
            where.push(`${col} <= $${params.length}::timestamptz`);
          }
        }
        const cols = Object.entries(COLUMNS)
          .filter(([k]) => k !== 'node_id')
          .map(([k, c]) => `${c[kind]} AS "${k}"`);
        return `SELECT ${cols.join(', ')}, e._storage_id AS __sid, ${kind === 'ev' ? 0 : 1} AS __kind
          FROM ${fromOf(table)} WHERE ${where.join(' AND ')}`;
      };
      const order: string[] = [];
      for (const s of asList(q._sort).flatMap((x) => x.split(','))) {
        const m = /^([+-]?)@?(\w+)$/.exec(s.trim());
        if (!m || !OUTPUT.includes(m[2])) {
          throw badParameters(
            `Sort keys '${JSON.stringify([s])}' do not exist. Allowed keys are: ${OUTPUT.join(', ')}`,
          );
        }
        order.push(`u."${m[2]}" ${m[1] === '-' ? 'DESC' : 'ASC'}`);
      }
      const params: unknown[] = [tenantId];
      const parts: string[] = [];
      if (types.length === 0 || types.includes('cloudify_event')) parts.push(build('ev', 'events', params));
      if (types.length === 0 || types.includes('cloudify_log')) parts.push(build('log', 'logs', params));
      params.push(size, offset);
      const rows = await db.query<Record<string, unknown>>(
        `SELECT u.*, count(*) OVER ()::int AS __total FROM (${parts.join(' UNION ALL ')}) u
         ORDER BY ${[...order, 'u.timestamp ASC', 'u.__kind', 'u.__sid'].join(', ')}
         LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params,
      );
      let total = rows.length ? Number(rows[0].__total) : 0;
      if (rows.length === 0 && offset > 0) {
        const [c] = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (${parts.join(' UNION ALL ')}) u`,
          params.slice(0, -2),
        );
        total = c.n;
      }
      const items = rows.map((r) => {
        const out: Record<string, unknown> = {};
        for (const k of OUTPUT) out[k] = r[k];
        out.timestamp = fmt(r.timestamp);
        out.reported_timestamp = fmt(r.reported_timestamp);
        if (out.type === 'cloudify_event') {
          delete out.logger;
          delete out.level;
        } else {
          delete out.event_type;
          delete out.error_causes;
        }
        return out;
      });
      return { items, metadata: { pagination: { total, size, offset }, filtered: null } };
    },
  );
}

function fmt(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}
