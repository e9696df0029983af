// Type inheritance (node, relationship and data types) and property schema/value merging
// (dsl_parser/utils.py merge_schemas and merge_schema_and_instance_properties).
import { logicError } from './errors.js';
import { isFunction } from './functions.js';
import { isDict, typeName } from './schema.js';

export type Defs = Record<string, Record<string, any>>;
export type PropSchema = Record<string, Record<string, any>>;

export const PRIMITIVES = new Set([
  'string',
  'integer',
  'float',
  'boolean',
  'list',
  'dict',
  'regex',
  'textarea',
]);
// 1_4/1_5 object-based input types: values are identifiers (strings) checked against the manager.
export const OBJECT_TYPES = new Set([
  'blueprint_id',
  'deployment_id',
  'capability_value',
  'scaling_group',
  'node_id',
  'node_type',
  'node_instance',
  'secret_key',
  'operation_name',
]);

/** Root-first list of type names; unknown parent → 103, cycle → 100. */
export function typeHierarchy(defs: Defs, name: string, section: string): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  let cur: string | undefined = name;
  while (cur !== undefined) {
    if (seen.has(cur))
      throw logicError(
        100,
        `Failed parsing ${section} '${name}': cycle in derived_from chain (${chain.join(' -> ')})`,
      );
    seen.add(cur);
    const def: Record<string, any> | undefined = defs[cur];
    if (!def) {
      throw logicError(
        103,
        `Missing definition for derived_from type '${cur}' of ${section} '${chain[0] ?? name}'`,
      );
    }
    chain.push(cur);
    cur = def.derived_from ?? undefined;
  }
  return chain.reverse();
}

/** Merged property schema along a hierarchy: a child's definition replaces the parent's whole entry. */
export function mergedProperties(defs: Defs, hierarchy: string[], key = 'properties'): PropSchema {
  const out: PropSchema = {};
  for (const t of hierarchy) {
    for (const [k, v] of Object.entries((defs[t]?.[key] ?? {}) as PropSchema)) {
      const parent = out[k];
      const def = { ...(v ?? {}) };
      // Same data type on both sides: complete the child's default from the parent's.
      if (parent && parent.type === def.type && isDict(parent.default) && isDict(def.default)) {
        def.default = { ...parent.default, ...def.default };
      } else if (
        parent &&
        parent.type === def.type &&
        def.default === undefined &&
        parent.default !== undefined
      ) {
        // keep the child's definition as is (reference replaces wholesale)
      }
      out[k] = def;
    }
  }
  return out;
}

export function checkSchemaTypes(schema: PropSchema, dataTypes: Defs, where: string): void {
  for (const [k, d] of Object.entries(schema)) {
    const t = d?.type;
    if (t === undefined || t === null) continue;
    if (!PRIMITIVES.has(t) && !OBJECT_TYPES.has(t) && !(t in dataTypes)) {
      throw logicError(103, `Illegal type name '${t}' (${where}.${k}.type)`);
    }
  }
}

export interface MergeContext {
  dataTypes: Defs;
  dataTypeProps: (name: string) => PropSchema;
}

/** Template values over schema defaults, checking unknown (106), missing (107) and types (105). */
export function mergeProperties(
  schema: PropSchema,
  values: Record<string, any>,
  ctx: MergeContext,
  where: string,
  allowMissing = false,
): Record<string, any> {
  const out: Record<string, any> = {};
  for (const k of Object.keys(values)) {
    if (!(k in schema))
      throw logicError(106, `${where} property '${k}' is not part of the derived type properties schema`);
  }
  const external = values.use_external_resource === true;
  for (const [k, d] of Object.entries(schema)) {
    let v = values[k];
    if (v === undefined && d.default !== undefined) v = structuredClone(d.default);
    if (v === undefined) {
      const complete = d.type && d.type in ctx.dataTypes ? fromDataTypeDefaults(d.type, ctx) : undefined;
      if (complete !== undefined) v = complete;
    }
    if (v === undefined) {
      if (d.required === false || allowMissing || external) continue;
      throw logicError(107, `${where} does not provide a value for mandatory '${k}' property`);
    }
    out[k] = checkValue(v, d.type, ctx, `${where}.${k}`);
  }
  return out;
}

function fromDataTypeDefaults(type: string, ctx: MergeContext): Record<string, any> | undefined {
  const props = ctx.dataTypeProps(type);
  const out: Record<string, any> = {};
  for (const [k, d] of Object.entries(props)) {
    if (d.default !== undefined) out[k] = structuredClone(d.default);
    else if (d.type && d.type in ctx.dataTypes) {
      const sub = fromDataTypeDefaults(d.type, ctx);
      if (sub === undefined) return d.required === false ? out : undefined;
      out[k] = sub;
    } else if (d.required !== false) return undefined;
  }
  return out;
}

/** Type-checks one value; data-type values are completed with the data type's defaults. */
export function checkValue(v: unknown, type: string | undefined, ctx: MergeContext, where: string): any {
  if (type === undefined || type === null || isFunction(v) || v === null) return v;
  if (type in ctx.dataTypes) {
    if (!isDict(v)) throw mismatch(where, type, v);
    return mergeProperties(ctx.dataTypeProps(type), v, ctx, where);
  }
  if (!primitiveOk(type, v)) throw mismatch(where, type, v);
  return v;
}

export function primitiveOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'string':
      return true; // the reference accepts any value for `string`
    case 'textarea':
      return typeof v === 'string';
    case 'regex':
      return typeof v === 'string' && compilesAsRegex(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return isDict(v);
    default:
      return true;
  }
}

const mismatch = (where: string, type: string, v: unknown) =>
  logicError(
    105,
    `Value of ${where} (${JSON.stringify(v)}) does not match its type '${type}' (found ${typeName(v)})`,
  );

/** Whether a pattern compiles (Python `re` syntax: named groups `(?P<n>…)` / `(?P=n)` are rewritten). */
function compilesAsRegex(p: string): boolean {
  try {
    new RegExp(p.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'));
    return true;
  } catch {
    return false;
  }
}
