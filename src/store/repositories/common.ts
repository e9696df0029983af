// Fields every tenant resource exposes (rest-api.md §3.3): id, visibility, tenant_name, created_by,
// created_at and the legacy private_resource/resource_availability. Timestamps render as
// YYYY-MM-DDTHH:MM:SS.mmmZ in SQL, so sorting and filtering see the same text the client sees.
import type { FieldDef } from './list.js';

export const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export const fromWithOwner = (table: string) =>
  `${table} t JOIN tenants tn ON tn.id = t._tenant_id JOIN users cu ON cu.id = t._creator_id`;

export const commonFields: Record<string, FieldDef> = {
  id: { sql: 't.id' },
  visibility: { sql: 't.visibility' },
  tenant_name: { sql: 'tn.name' },
  created_by: { sql: 'cu.username' },
  created_at: { sql: ts('t.created_at') },
  private_resource: { sql: "(t.visibility = 'private')" },
  resource_availability: { sql: 't.visibility' },
};

export const json = (col: string): FieldDef => ({ sql: col, filter: false });

/** A text array literal for `= ANY($n::text[])` (the same text on both drivers), each element quoted. */
export const sqlArray = (xs: readonly string[]): string =>
  `{${xs.map((x) => `"${x.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/** A JSON parameter: the text the SQL casts with `$n::text::jsonb` (null for undefined). */
export const jsonParam = (v: unknown): string => JSON.stringify(v ?? null);
