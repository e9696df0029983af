// Cloudify's list conventions (rest-api.md §3.1–3.2) for any resource: `_offset`, `_size`, `_sort`,
// `_include`, and every other non-underscore query argument as a filter (repeated = OR).
import { badParameters, noSuchIncludeField, notFoundResource } from '../../common/errors.js';
import type { Db } from '../port.js';

export interface FieldDef {
  /** SQL expression producing the field (table alias `t`). */
  sql: string;
  /** Usable as a filter (compared as text). @default true for scalar fields */
  filter?: boolean;
  /** Usable with `_sort`. @default same as filter */
  sort?: boolean;
}

export interface ResourceDef {
  /** Name in messages, e.g. "Deployment". */
  kind: string;
  /** FROM clause with joins; the main table is aliased `t`. */
  from: string;
  fields: Record<string, FieldDef>;
  /** Scope rows to the request tenant (plus global rows) and hide others' private rows. */
  tenantScoped: boolean;
  /** The row's unique key, also the order that makes paging stable. @default t._storage_id */
  orderBy?: string;
  /** The text column `_search` matches a substring of. @default t.id */
  search?: string;
}

export interface Scope {
  tenantId?: number;
  userId: number;
  isAdmin: boolean;
}

export interface ListOptions {
  query: Record<string, unknown>;
  scope: Scope;
  /** Extra SQL conditions and their parameters, appended with AND. */
  where?: { sql: string; params: unknown[] }[];
  defaultSize?: number;
  /** Query arguments the route handles itself (not filters). */
  reserved?: string[];
}

/** The paging limits of the REST service's settings. */
export interface PageLimits {
  /** `_size` when the request gives none. */
  defaultPageSize: number;
  /** The largest `_size` accepted. */
  maxPageSize: number;
}

export interface ListResult<T> {
  items: T[];
  metadata: { pagination: { total: number; size: number; offset: number }; filtered: null };
}

const asList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter(Boolean);

function nonNegativeInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const s = String(Array.isArray(v) ? v[0] : v);
  if (!/^\d+$/.test(s)) throw badParameters(`${name} must be a non-negative integer, got "${s}"`);
  return Number(s);
}

/** The scoping condition shared by lists and single-row lookups. */
export function scopeSql(def: ResourceDef, scope: Scope, params: unknown[]): string[] {
  if (!def.tenantScoped) return [];
  params.push(scope.tenantId ?? -1);
  const conds = [`(t._tenant_id = $${params.length} OR t.visibility = 'global')`];
  if (!scope.isAdmin) {
    params.push(scope.userId);
    conds.push(`(t.visibility <> 'private' OR t._creator_id = $${params.length})`);
  }
  return conds;
}

/**
 * The one "visible row" lookup: row `id` of `def` as `scope` may see it (its tenant or global, and not
 * someone else's private row unless admin), or undefined. When the caller's tenant has a row with that
 * id and another tenant has a global one, the caller's own wins. `select` defaults to every field of
 * `def` plus the storage id as `__storage_id`; `from` to `def.from`.
 */
export async function findVisible<T = Record<string, unknown>>(
  db: Db,
  def: ResourceDef,
  scope: Scope,
  id: string,
  opts: { select?: string; include?: string[]; from?: string; forUpdate?: boolean } = {},
): Promise<T | undefined> {
  const params: unknown[] = [];
  const where = scopeSql(def, scope, params);
  params.push(id);
  where.push(`t.id = $${params.length}`);
  const select = opts.select ?? `${selectList(def, opts.include)}, t._storage_id AS "__storage_id"`;
  // scopeSql put the caller's tenant first ($1).
  const order = def.tenantScoped ? ' ORDER BY (t._tenant_id = $1) DESC LIMIT 1' : '';
  const [row] = await db.query<T>(
    `SELECT ${select} FROM ${opts.from ?? def.from} WHERE ${where.join(' AND ')}${order}${opts.forUpdate ? ' FOR UPDATE OF t' : ''}`,
    params,
  );
  return row;
}

/** findVisible, or 404 with Cloudify's "Requested `Kind` with ID `id` was not found". */
export async function getVisible<T = Record<string, unknown>>(
  db: Db,
  def: ResourceDef,
  scope: Scope,
  id: string,
  opts: Parameters<typeof findVisible>[4] = {},
): Promise<T> {
  const row = await findVisible<T>(db, def, scope, id, opts);
  if (row === undefined) throw notFoundResource(def.kind, id);
  return row;
}

/** A row without its `__storage_id`, as the API shows it. */
export function publicRow<T extends Record<string, unknown>>(row: T): Omit<T, '__storage_id'> {
  const { __storage_id: _, ...rest } = row;
  return rest;
}

export function selectList(def: ResourceDef, include?: string[]): string {
  const names = include ?? Object.keys(def.fields);
  return names.map((n) => `${def.fields[n].sql} AS "${n}"`).join(', ');
}

/** The field named `name`; never one of Object.prototype's (`constructor`, `toString`). */
function fieldOf(def: ResourceDef, name: string): FieldDef | undefined {
  return Object.hasOwn(def.fields, name) ? def.fields[name] : undefined;
}

export function parseInclude(def: ResourceDef, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const names = asList(v);
  // `_include=` (nothing named) is every field, as no `_include` at all.
  if (names.length === 0) return undefined;
  const unknown = names.filter((n) => !fieldOf(def, n));
  if (unknown.length) {
    throw noSuchIncludeField(
      `Include field(s) ${unknown.join(', ')} do not exist. Allowed fields are: ${Object.keys(def.fields).join(', ')}`,
    );
  }
  return names;
}

export async function listResources<T = Record<string, unknown>>(
  db: Db,
  config: PageLimits,
  def: ResourceDef,
  opts: ListOptions,
): Promise<ListResult<T>> {
  const q = opts.query;
  const offset = nonNegativeInt('_offset', q._offset, 0);
  const size = nonNegativeInt('_size', q._size, opts.defaultSize ?? config.defaultPageSize);
  if (size > config.maxPageSize) {
    throw badParameters(
      `_size ${size} is over the limit of ${config.maxPageSize}: ask for at most ${config.maxPageSize} items a page and use _offset for more`,
    );
  }
  const include = parseInclude(def, q._include);
  const params: unknown[] = [];
  const where = scopeSql(def, opts.scope, params);
  for (const w of opts.where ?? []) {
    where.push(w.sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + params.length}`));
    params.push(...w.params);
  }
  const reserved = new Set(opts.reserved ?? []);
  const filterKeys = Object.keys(q).filter((k) => !k.startsWith('_') && !reserved.has(k));
  const badFilters = filterKeys.filter((k) => fieldOf(def, k)?.filter === false || !fieldOf(def, k));
  if (badFilters.length) {
    throw badParameters(
      `Filter keys '${JSON.stringify(badFilters)}' do not exist. Allowed keys are: ${filterable(def).join(', ')}`,
    );
  }
  for (const k of filterKeys) {
    const values = (Array.isArray(q[k]) ? (q[k] as unknown[]) : [q[k]]).map((v) =>
      normaliseFilterValue(String(v)),
    );
    const placeholders = values.map((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    where.push(`(${def.fields[k].sql})::text IN (${placeholders.join(', ')})`);
  }
  if (typeof q._search === 'string') {
    params.push(`%${q._search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`${def.search ?? 't.id'} ILIKE $${params.length}`);
  }
  const order = parseSort(def, q._sort);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  params.push(size, offset);
  // The page's row ids come from an index-ordered scan that stops after offset + size rows; the fields,
  // some of them subqueries, are computed for those rows only; the total is a separate count.
  const key = def.orderBy ?? 't._storage_id';
  const orderSql = [...order, key].join(', ');
  // When neither the conditions nor the order touch a joined table, page and count on the bare table.
  const bare = onlyMainTable(`${whereSql} ${orderSql}`)
    ? def.from.trim().split(/\s+/, 2).join(' ')
    : def.from;
  const [rows, [count]] = await Promise.all([
    db.query<Record<string, unknown>>(
      `WITH page AS (SELECT ${key} AS sid FROM ${bare} ${whereSql}
         ORDER BY ${orderSql} LIMIT $${params.length - 1} OFFSET $${params.length})
       SELECT ${selectList(def, include)} FROM ${def.from}
       WHERE ${key} IN (SELECT sid FROM page) ORDER BY ${orderSql}`,
      params,
    ),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${bare} ${whereSql}`, params.slice(0, -2)),
  ]);
  const total = count.n;
  return { items: rows as T[], metadata: { pagination: { total, size, offset }, filtered: null } };
}

/** True when every column reference (`alias.column`) in the SQL is to the main table `t`. */
function onlyMainTable(sql: string): boolean {
  const refs = sql.replace(/'[^']*'/g, '').match(/\b[a-z_]\w*\.[a-z_]\w*/gi) ?? [];
  return refs.every((r) => r.startsWith('t.'));
}

function filterable(def: ResourceDef): string[] {
  return Object.keys(def.fields).filter((k) => def.fields[k].filter !== false);
}

// The Python client sends booleans as True/False.
function normaliseFilterValue(v: string): string {
  return v === 'True' ? 'true' : v === 'False' ? 'false' : v;
}

function parseSort(def: ResourceDef, v: unknown): string[] {
  if (v === undefined) return [];
  const keys = asList(v);
  const out: string[] = [];
  const bad: string[] = [];
  for (const k of keys) {
    const m = /^([+-]?)@?(\w+)$/.exec(k);
    const f = m && fieldOf(def, m[2]!);
    if (!m || !f || (f.sort ?? f.filter) === false) bad.push(k);
    else out.push(`${f.sql} ${m[1] === '-' ? 'DESC' : 'ASC'}`);
  }
  if (bad.length) {
    throw badParameters(
      `Sort keys '${JSON.stringify(bad)}' do not exist. Allowed keys are: ${filterable(def).join(', ')}`,
    );
  }
  return out;
}
