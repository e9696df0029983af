// The intrinsic function names and how a call is recognised (a leaf: no other dsl imports but schema).
import { isDict } from './schema.js';

export const STATIC_FUNCTIONS = new Set([
  'get_input',
  'get_property',
  'concat',
  'merge',
  'string_find',
  'string_replace',
  'string_split',
  'string_lower',
  'string_upper',
]);
export const RUNTIME_FUNCTIONS = new Set([
  'get_attribute',
  'get_attributes_list',
  'get_attributes_dict',
  'get_secret',
  'get_capability',
  'get_group_capability',
  'get_environment_capability',
  'get_label',
  'get_sys',
  'get_consumers',
]);
export const FUNCTION_NAMES = new Set([...STATIC_FUNCTIONS, ...RUNTIME_FUNCTIONS]);

/** A function call is a mapping with one registered function key (plus an optional `type`). */
export function functionName(v: unknown): string | undefined {
  if (!isDict(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length === 1 && FUNCTION_NAMES.has(keys[0])) return keys[0];
  // utils.get_function: `{fn: args, type: t}` is a call too (an operation input typed by its schema)
  if (keys.length === 2 && keys.includes('type')) {
    const f = keys.find((k) => k !== 'type') as string;
    if (FUNCTION_NAMES.has(f)) return f;
  }
  return undefined;
}

/** The `type` a call carries (see functionName), if any. */
export const returnType = (v: Record<string, unknown>): unknown =>
  Object.keys(v).length === 2 ? v.type : undefined;
export const isFunction = (v: unknown): boolean => functionName(v) !== undefined;
