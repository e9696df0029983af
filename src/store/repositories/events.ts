// Events and logs (rest-api.md §1.7, §6.5): the batch a worker POSTs, the flattened, filtered, paged
// list over both tables (type cloudify_event | cloudify_log), and their removal with a deployment.
import { storableDate } from '../../common/dates.js';
import { badParameters } from '../../common/errors.js';
import type { Db } from '../port.js';
import type { ListResult, PageLimits } from './list.js';

/** Default `_size` of GET /events (Cloudify's events default). */
export const EVENTS_DEFAULT_SIZE = 10000;

// Columns of the flattened union; `filter` says how a query key matches (false: not a filter),
// `out: false` keeps a filter-only column out of the items.
const COLUMNS: Record<string, { ev: string; log: string; filter?: 'eq' | 'ilike' | false; out?: false }> = {
  _storage_id: { ev: 'e._storage_id', log: 'e._storage_id', filter: false },
  timestamp: { ev: 'e.timestamp', log: 'e.timestamp', filter: false },
  reported_timestamp: { ev: 'e.reported_timestamp', log: 'e.reported_timestamp', filter: false },
  blueprint_id: { ev: 'x.blueprint_id', log: 'x.blueprint_id' },
  deployment_id: { ev: 'd.id', log: 'd.id' },
  deployment_display_name: {
    ev: 'coalesce(d.display_name, d.id)',
    log: 'coalesce(d.display_name, d.id)',
    out: false,
  },
  execution_id: { ev: 'x.id', log: 'x.id' },
  execution_group_id: { ev: 'NULL::text', log: 'NULL::text', out: false },
  workflow_id: { ev: 'x.workflow_id', log: 'x.workflow_id' },
  message: { ev: 'e.message', log: 'e.message', filter: 'ilike' },
  error_causes: { ev: 'e.error_causes', log: 'NULL::jsonb', filter: false },
  event_type: { ev: 'e.event_type', log: 'NULL::text' },
  operation: { ev: 'e.operation', log: 'e.operation' },
  node_instance_id: { ev: 'e.node_id', log: 'e.node_id' },
  node_id: { ev: 'e.node_id', log: 'e.node_id', out: false },
  node_name: { ev: 'nn.name', log: 'nn.name' },
  source_id: { ev: 'e.source_id', log: 'e.source_id' },
  target_id: { ev: 'e.target_id', log: 'e.target_id' },
  manager_name: { ev: 'e.manager_name', log: 'e.manager_name', out: false },
  agent_name: { ev: 'e.agent_name', log: 'e.agent_name', out: false },
  logger: { ev: 'NULL::text', log: 'e.logger' },
  level: { ev: 'NULL::text', log: 'e.level' },
  type: { ev: "'cloudify_event'::text", log: "'cloudify_log'::text" },
};
/**
 * The keys of an item, as Cloudify 5.1's GET /events gives them (resources_v3 Events: the union's
 * columns without id, node_id and message_code); events then drop logger and level, logs
 * event_type. Logs keep `error_causes: null`: the 5.1 CLI reads it from every item.
 */
const OUTPUT = Object.keys(COLUMNS).filter((k) => COLUMNS[k].out !== false);
/** Query keys older clients send for a column (Elasticsearch-era names). */
const ALIASES: Record<string, string> = { 'message.text': 'message' };
const KNOWN_UNDERSCORE = new Set([
  '_offset',
  '_size',
  '_sort',
  '_range',
  '_include',
  '_get_all_results',
  '_all_tenants',
]);

const fromOf = (table: string) => `${table} e
  LEFT JOIN executions x ON x._storage_id = e._execution_fk
  LEFT JOIN deployments d ON d._storage_id = x._deployment_fk
  LEFT JOIN LATERAL (SELECT n.id AS name FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
    WHERE ni.id = e.node_id AND ni._tenant_id = e._tenant_id LIMIT 1) nn ON true`;

const asList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/** An ISO timestamp from a client's date text; null when absent, 400 when not a date. */
function timestampOf(v: unknown, what: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  const d = new Date(String(v));
  if (!storableDate(d)) throw badParameters(`${what}: timestamp "${String(v)}" is not a valid date`);
  return d.toISOString();
}

// ---- the workers' POST ----

/** One event or log of a POSTed batch, as the client sends it. */
export interface EventItemIn {
  context?: Record<string, any>;
  message?: unknown;
  timestamp?: string | null;
  event_type?: string | null;
  logger?: string | null;
  level?: string | null;
  message_code?: string | null;
}

/** The execution a batch is stored under, and who stores it. */
export interface EventTarget {
  tenantId: number;
  creatorId: number;
  execution: { _storage_id: number; visibility: string };
  managerName: string | null;
  agentName: string | null;
}

/** The id of the execution whose token hashes to `tokenHash` (the worker may leave execution_id out). */
export async function executionIdOfToken(db: Db, tokenHash: string): Promise<string | undefined> {
  const rows = await db.query<{ id: string }>('SELECT id FROM executions WHERE token = $1', [tokenHash]);
  return rows[0]?.id;
}

/** Execution `id` of the tenant (or a global one), which events may be stored under; or undefined. */
export async function findEventsExecution(
  db: Db,
  id: string,
  tenantId: number,
): Promise<EventTarget['execution'] | undefined> {
  const [row] = await db.query<EventTarget['execution']>(
    "SELECT _storage_id, visibility FROM executions WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')",
    [id, tenantId],
  );
  return row;
}

const textOf = (m: unknown): string | null =>
  typeof m === 'string'
    ? m
    : m && typeof m === 'object' && 'text' in m && m.text != null
      ? String(m.text)
      : null;

/**
 * Stores a batch of events and logs under one execution, in one transaction. Every item is checked
 * first (message text; event_type for events; logger and level for logs): a bad one is a 400 and
 * nothing is written.
 */
export async function storeEventBatch(
  db: Db,
  target: EventTarget,
  events: EventItemIn[],
  logs: EventItemIn[],
): Promise<void> {
  // As in 5.1: `timestamp` is when the manager stores the item, `reported_timestamp` when its
  // source made it (the item's own `timestamp`, else now).
  const stored = new Date().toISOString();
  const common = (it: EventItemIn, i: number, kind: string) => {
    const c = it.context ?? {};
    const text = textOf(it.message);
    if (text === null) throw badParameters(`${kind}[${i}]: message.text is required`);
    return [
      stored,
      timestampOf(it.timestamp, `${kind}[${i}]`) ?? stored,
      target.tenantId,
      target.creatorId,
      target.execution.visibility,
      target.execution._storage_id,
      text,
      it.message_code ?? null,
      c.operation ?? null,
      c.node_id ?? null,
      c.source_id ?? null,
      c.target_id ?? null,
      target.managerName,
      target.agentName,
    ];
  };
  const evRows = events.map((it, i) => {
    if (typeof it.event_type !== 'string') throw badParameters(`events[${i}]: event_type is required`);
    const causes = it.context?.task_error_causes;
    return [...common(it, i, 'events'), it.event_type, causes === undefined ? null : JSON.stringify(causes)];
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
}

// ---- the list ----

/** `_offset` and `_size` (the schema checked they are digits); a page over the limit is a 400. */
function pageOf(query: Record<string, unknown>, limits: PageLimits): { offset: number; size: number } {
  const offset = query._offset === undefined ? 0 : Number(query._offset);
  const size = query._size === undefined ? EVENTS_DEFAULT_SIZE : Number(query._size);
  const max = Math.max(limits.maxPageSize, EVENTS_DEFAULT_SIZE);
  if (size > max) throw badParameters(`_size ${size} is over the limit of ${max}: use _offset for more`);
  return { offset, size };
}

/** The query with the older names of columns (`message.text`) under their column's name. */
function withoutAliases(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    const key = ALIASES[k] ?? k;
    out[key] = key in out ? [...asList(out[key]), ...asList(v)] : v;
  }
  return out;
}

/** The filter keys of the query, after checking every key is known. */
function filterKeysOf(query: Record<string, unknown>): string[] {
  const badUnderscore = Object.keys(query).filter((k) => k.startsWith('_') && !KNOWN_UNDERSCORE.has(k));
  if (badUnderscore.length) throw badParameters(`Unknown query parameters: ${badUnderscore.join(', ')}`);
  const filterKeys = Object.keys(query).filter((k) => !k.startsWith('_'));
  const bad = filterKeys.filter((k) => !COLUMNS[k] || COLUMNS[k].filter === false);
  if (bad.length) {
    throw badParameters(
      `Filter keys '${JSON.stringify(bad)}' do not exist. Allowed keys are: ${Object.keys(COLUMNS)
        .filter((k) => COLUMNS[k].filter !== false)
        .join(', ')}`,
    );
  }
  for (const t of asList(query.type)) {
    if (t !== 'cloudify_event' && t !== 'cloudify_log') {
      throw badParameters(`type must be cloudify_event or cloudify_log, got "${t}"`);
    }
  }
  return filterKeys;
}

/** The `_range=field,from,to` conditions (timestamp, @timestamp or reported_timestamp). */
function rangeConditions(query: Record<string, unknown>, params: unknown[]): string[] {
  const where: string[] = [];
  for (const r of asList(query._range)) {
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
  return where;
}

/** One side of the union: the events (`ev`) or the logs (`log`) that match the filters. */
function selectSide(
  kind: 'ev' | 'log',
  query: Record<string, unknown>,
  filterKeys: string[],
  params: unknown[],
): string {
  const where = [`(e._tenant_id = $1 OR e.visibility = 'global')`];
  for (const k of filterKeys) {
    if (k === 'type') continue;
    const col = COLUMNS[k][kind];
    const values = asList(query[k]);
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
  where.push(...rangeConditions(query, params));
  const cols = Object.entries(COLUMNS)
    .filter(([k]) => k !== 'node_id')
    .map(([k, c]) => `${c[kind]} AS "${k}"`);
  return `SELECT ${cols.join(', ')}, e._storage_id AS __sid, ${kind === 'ev' ? 0 : 1} AS __kind
    FROM ${fromOf(kind === 'ev' ? 'events' : 'logs')} WHERE ${where.join(' AND ')}`;
}

/** The `_sort` keys as ORDER BY terms over the union. */
function orderOf(query: Record<string, unknown>): string[] {
  const order: string[] = [];
  for (const s of asList(query._sort).flatMap((x) => x.split(','))) {
    const m = /^([+-]?)@?(\w+)$/.exec(s.trim());
    if (!m || !OUTPUT.includes(m[2])) {
      throw badParameters(
        `Sort keys '${JSON.stringify([s])}' do not exist. Allowed keys are: ${OUTPUT.join(', ')}`,
      );
    }
    order.push(`u."${m[2]}" ${m[1] === '-' ? 'DESC' : 'ASC'}`);
  }
  return order;
}

/**
 * GET /events: events and logs of `tenantId` (and global ones), flattened into one list, filtered by
 * any text column (repeated = OR; `message` is a substring match), `type`, `_range`, sorted by `_sort`
 * then time, and paged. Unknown keys are 400s.
 */
export async function listEvents(
  db: Db,
  limits: PageLimits,
  query: Record<string, unknown>,
  tenantId: number,
): Promise<ListResult<Record<string, unknown>>> {
  query = withoutAliases(query);
  const { offset, size } = pageOf(query, limits);
  const filterKeys = filterKeysOf(query);
  const types = asList(query.type);
  const order = orderOf(query);
  const params: unknown[] = [tenantId];
  const parts: string[] = [];
  if (types.length === 0 || types.includes('cloudify_event')) {
    parts.push(selectSide('ev', query, filterKeys, params));
  }
  if (types.length === 0 || types.includes('cloudify_log')) {
    parts.push(selectSide('log', query, filterKeys, params));
  }
  params.push(size, offset);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT u.*, count(*) OVER ()::int AS __total FROM (${parts.join(' UNION ALL ')}) u
     ORDER BY ${[...order, 'u.reported_timestamp ASC', 'u.timestamp ASC', 'u.__kind', 'u.__sid'].join(', ')}
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
  return { items: rows.map(publicEvent), metadata: { pagination: { total, size, offset }, filtered: null } };
}

/** A union row as the API shows it: events without logger/level, logs without event_type. */
function publicEvent(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of OUTPUT) out[k] = r[k];
  out._storage_id = Number(r._storage_id);
  out.timestamp = fmt(r.timestamp);
  out.reported_timestamp = fmt(r.reported_timestamp);
  if (out.type === 'cloudify_event') {
    delete out.logger;
    delete out.level;
  } else {
    delete out.event_type;
    out.error_causes = null;
  }
  return out;
}

function fmt(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}

// ---- removal ----

/** Removes the events and logs of every execution of the deployment (delete_deployment_environment's delete_logs). */
export async function deleteDeploymentEvents(tx: Db, deploymentFk: number): Promise<void> {
  for (const table of ['events', 'logs']) {
    await tx.query(
      `DELETE FROM ${table} WHERE _execution_fk IN (SELECT _storage_id FROM executions WHERE _deployment_fk = $1)`,
      [deploymentFk],
    );
  }
}
