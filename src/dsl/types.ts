// Type inheritance (node, relationship and data types) and property schema/value merging
// (dsl_parser/utils.py merge_schemas and merge_schema_and_instance_properties).
import { logicError } from './errors.js';
import { isYamlFloat } from './yaml-load.js';
import { isFunction } from './functions.js';
import { isDict } from './schema.js';

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
  /** A data type's property schema: inherited, with defaults completed (see `schemaWithDefaults`). */
  dataTypeProps: (name: string) => PropSchema;
}

/**
 * A MergeContext over `dataTypes` with a per-type cache. Resolving a data type needs the data types of
 * its properties and parent first; a type that needs itself (`list_type.tail: {type: list_type}`) is a
 * circular dependency (100), and a data type named like a primitive type is error 104.
 */
export function dataTypeContext(dataTypes: Defs): MergeContext {
  const cache = new Map<string, PropSchema>();
  const resolving: string[] = [];
  const ctx: MergeContext = {
    dataTypes,
    dataTypeProps(name: string): PropSchema {
      const hit = cache.get(name);
      if (hit) return hit;
      if (resolving.includes(name)) {
        throw logicError(
          100,
          `Parsing failed. Circular dependency detected: ${[...resolving.slice(resolving.indexOf(name)), name].join(' --> ')}`,
        );
      }
      if (PRIMITIVES.has(name) || OBJECT_TYPES.has(name))
        throw logicError(104, `Can't redefine primitive type ${name}`);
      resolving.push(name);
      try {
        const props = schemaWithDefaults(dataTypes, typeHierarchy(dataTypes, name, 'data_type'), ctx);
        cache.set(name, props);
        return props;
      } finally {
        resolving.pop();
      }
    },
  };
  return ctx;
}

const isDataType = (t: unknown, ctx: MergeContext): t is string =>
  typeof t === 'string' && !PRIMITIVES.has(t) && !OBJECT_TYPES.has(t) && t in ctx.dataTypes;

/**
 * The property schema of a type along its hierarchy (utils.merge_schemas + SchemaPropertyDefault):
 * a child's definition replaces the parent's, every data-typed property gets a default completed from the
 * data type's defaults (`{}` when none is written), and when child and parent declare the same data type
 * the child's default is deep-merged over the parent's. Defaults are checked: unknown keys 106, types 105.
 */
export function schemaWithDefaults(
  defs: Defs,
  hierarchy: string[],
  ctx: MergeContext,
  key = 'properties',
): PropSchema {
  const out: PropSchema = {};
  for (const t of hierarchy) {
    for (const [k, v] of Object.entries((defs[t]?.[key] ?? {}) as PropSchema)) {
      const parent = out[k];
      const def: Record<string, any> = { ...(v ?? {}) };
      if (isDataType(def.type, ctx)) {
        const derived =
          parent && parent.type === def.type && parent.default != null ? parent.default : undefined;
        def.default = parseValue(def.default ?? {}, def.type, derived, ctx, {
          raiseOnMissing: false,
          owner: t,
          path: [k],
          undefinedMsg: (p) => `Undefined property ${p} in default value of type ${t}`,
        });
      } else if (def.type === 'integer' && isYamlFloat(v, 'default')) {
        throw integerGotFloat({ owner: t, path: [k], raiseOnMissing: false }, [k], def.default);
      } else if (def.default !== undefined && def.default !== null && typeof def.type === 'string') {
        parseValue(def.default, def.type, undefined, ctx, { raiseOnMissing: false, owner: t, path: [k] });
      }
      out[k] = def;
    }
  }
  return out;
}

export interface ParseOpts {
  raiseOnMissing: boolean;
  /** Names the element in messages (node, input or type name). */
  owner: string;
  path: string[];
  undefinedMsg?: (path: string) => string;
  missingMsg?: (path: string) => string;
  /** `use_external_resource: true` on the template: missing required properties are allowed. */
  external?: boolean;
}

/** utils.parse_value: type-checks a value; data-type values are merged over their defaults, recursively. */
export function parseValue(
  v: unknown,
  type: unknown,
  derived: unknown,
  ctx: MergeContext,
  o: ParseOpts,
): any {
  if (type === undefined || type === null || v === null || v === undefined || isFunction(v)) return v;
  if (typeof type === 'string' && (PRIMITIVES.has(type) || OBJECT_TYPES.has(type))) {
    if (primitiveOk(type, v)) return v;
  } else if (isDataType(type, ctx)) {
    if (isDict(v)) {
      const schema = ctx.dataTypeProps(type);
      const flat = flatDefaults(schema);
      if (isDict(derived)) Object.assign(flat, derived);
      return mergeFlattened(v, schema, flat, ctx, o);
    }
  } else return v;
  const p = o.path.join('.');
  throw logicError(
    105,
    p
      ? `Property type validation failed in '${o.owner}': property '${p}' type is '${type}', yet it was assigned with the value '${pyish(v)}'`
      : `Property type validation failed in '${o.owner}': the defined type is '${type}', yet it was assigned with the value '${pyish(v)}'`,
  );
}

const pyish = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** A YAML float (`5.0`) given for an `integer`: 105 like the reference, which keeps it a float. */
export const integerGotFloat = (o: ParseOpts, path: string[], v: unknown) =>
  logicError(
    105,
    path.length > 0
      ? `Property type validation failed in '${o.owner}': property '${path.join('.')}' type is 'integer', yet it was assigned with the value '${Number(v).toFixed(1)}'`
      : `Property type validation failed in '${o.owner}': the defined type is 'integer', yet it was assigned with the value '${Number(v).toFixed(1)}'`,
  );

const cloneDefault = (v: unknown): unknown => (v !== null && typeof v === 'object' ? structuredClone(v) : v);

const flatDefaults = (schema: PropSchema): Record<string, any> => {
  const out: Record<string, any> = {};
  for (const [k, d] of Object.entries(schema))
    if (d && d.default !== undefined && d.default !== null) out[k] = d.default;
  return out;
};

function mergeFlattened(
  values: Record<string, any>,
  schema: PropSchema,
  flat: Record<string, any>,
  ctx: MergeContext,
  o: ParseOpts,
): Record<string, any> {
  for (const k of Object.keys(values)) {
    if (!(k in schema)) {
      const p = [...o.path, k].join('.');
      throw logicError(
        106,
        o.undefinedMsg
          ? o.undefinedMsg(p)
          : `${o.owner} property '${p}' is not part of the derived type properties schema`,
      );
    }
  }
  const merged: Record<string, any> = { ...flat };
  for (const [k, v] of Object.entries(values)) if (v !== undefined) merged[k] = v;
  const out: Record<string, any> = {};
  for (const [k, d] of Object.entries(schema)) {
    if (!(k in merged)) {
      if ((d?.required ?? true) !== false && !o.external && o.raiseOnMissing) {
        const p = [...o.path, k].join('.');
        throw logicError(
          107,
          o.missingMsg
            ? o.missingMsg(p)
            : `${o.owner} does not provide a value for mandatory '${p}' property`,
        );
      }
      continue;
    }
    const v = k in values ? merged[k] : cloneDefault(merged[k]);
    if (k in values && d?.type === 'integer' && isYamlFloat(values, k))
      throw integerGotFloat(o, [...o.path, k], v);
    out[k] = parseValue(v, d?.type, flat[k], ctx, { ...o, path: [...o.path, k] });
  }
  return out;
}

/** Template values over schema defaults, checking unknown (106), missing (107) and types (105). */
export function mergeProperties(
  schema: PropSchema,
  values: Record<string, any>,
  ctx: MergeContext,
  where: string,
  allowMissing = false,
  msgs: Pick<ParseOpts, 'undefinedMsg' | 'missingMsg'> = {},
): Record<string, any> {
  return mergeFlattened(values ?? {}, schema, flatDefaults(schema), ctx, {
    raiseOnMissing: !allowMissing,
    owner: where,
    path: [],
    external: values?.use_external_resource === true,
    ...msgs,
  });
}

/** Type-checks one value; data-type values are completed with the data type's defaults. */
export function checkValue(v: unknown, type: string | undefined, ctx: MergeContext, where: string): any {
  return parseValue(v, type, undefined, ctx, { raiseOnMissing: true, owner: where, path: [] });
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

/** Whether a pattern compiles (Python `re` syntax: named groups `(?P<n>…)` / `(?P=n)` are rewritten). */
function compilesAsRegex(p: string): boolean {
  try {
    new RegExp(p.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>'));
    return true;
  } catch {
    return false;
  }
}
