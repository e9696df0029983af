// How executions are read: the list/get field map and a scoped single-row lookup.
import type { Db } from '../../store/port.js';
import { notFoundResource } from '../errors.js';
import { type ResourceDef, type Scope, scopeSql, selectList } from '../list-query.js';
import { commonFields, fromWithOwner, json, ts } from '../resources/common.js';
import { Any, Bool, commonProps, Int, NStr, resource, Str } from '../schemas.js';

export const EXECUTIONS: ResourceDef = {
  kind: 'Execution',
  from: `${fromWithOwner('executions')} LEFT JOIN deployments d ON d._storage_id = t._deployment_fk`,
  tenantScoped: true,
  fields: {
    ...commonFields,
    workflow_id: { sql: 't.workflow_id' },
    blueprint_id: { sql: 't.blueprint_id' },
    deployment_id: { sql: 'd.id' },
    deployment_display_name: { sql: 'coalesce(d.display_name, d.id)' },
    status: { sql: 't.status' },
    status_display: { sql: "(CASE WHEN t.status = 'terminated' THEN 'completed' ELSE t.status END)" },
    error: { sql: 't.error' },
    parameters: json('t.parameters'),
    is_system_workflow: { sql: 't.is_system_workflow' },
    is_dry_run: { sql: 't.is_dry_run' },
    allow_custom_parameters: { sql: 't.allow_custom_parameters' },
    started_at: { sql: ts('t.started_at') },
    ended_at: { sql: ts('t.ended_at') },
    scheduled_for: { sql: ts('t.scheduled_for') },
    resume: { sql: 't.resume' },
    total_operations: { sql: 't.total_operations' },
    finished_operations: { sql: 't.finished_operations' },
    execution_group_id: { sql: 'NULL::text', filter: false },
  },
};

export const ExecutionBody = resource({
  ...commonProps,
  workflow_id: Str,
  blueprint_id: NStr,
  deployment_id: NStr,
  deployment_display_name: NStr,
  status: Str,
  status_display: Str,
  error: Str,
  parameters: Any,
  is_system_workflow: Bool,
  is_dry_run: Bool,
  allow_custom_parameters: Bool,
  started_at: NStr,
  ended_at: NStr,
  scheduled_for: NStr,
  resume: Bool,
  total_operations: Int,
  finished_operations: Int,
  execution_group_id: NStr,
});

/** One execution as the API shows it (scoped to the caller's tenant), or 404. */
export async function getExecution(
  db: Db,
  scope: Scope,
  id: string,
  include?: string[],
): Promise<Record<string, unknown> & { __storage_id: number }> {
  const params: unknown[] = [];
  const where = scopeSql(EXECUTIONS, scope, params);
  params.push(id);
  where.push(`t.id = $${params.length}`);
  const rows = await db.query<Record<string, unknown> & { __storage_id: number }>(
    `SELECT ${selectList(EXECUTIONS, include)}, t._storage_id AS "__storage_id" FROM ${EXECUTIONS.from} WHERE ${where.join(' AND ')}`,
    params,
  );
  if (rows.length === 0) throw notFoundResource('Execution', id);
  return rows[0];
}

export function publicRow<T extends Record<string, unknown>>(row: T): Omit<T, '__storage_id'> {
  const { __storage_id: _, ...rest } = row;
  return rest;
}
