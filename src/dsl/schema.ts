// Structural validation of the merged blueprint document (the reference's Element schemas):
// every mismatch is a DSLParsingFormatException with code 1 and names the element path.
import { formatError } from './errors.js';

export type Schema =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'dict'
  | 'list'
  | 'any'
  | { dict: Record<string, Field> }
  | { mapOf: Schema }
  | { list: Schema; nonEmpty?: boolean }
  | { oneOf: Schema[] };

export interface Field {
  schema: Schema;
  required?: boolean;
}

export const typeName = (v: unknown): string => {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'float';
  if (Array.isArray(v)) return 'list';
  return 'dict';
};

export const isDict = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const simpleOk = (s: string, v: unknown): boolean => {
  switch (s) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'dict':
      return isDict(v);
    case 'list':
      return Array.isArray(v);
    default:
      return true;
  }
};

const expectedName = (s: Schema): string => {
  if (typeof s === 'string') return s;
  if ('dict' in s || 'mapOf' in s) return 'dict';
  if ('list' in s) return 'list';
  return expectedName(s.oneOf[s.oneOf.length - 1]);
};

/** Throws a code-1 error at the first place `value` does not fit `schema`. */
export function validate(value: unknown, schema: Schema, path: string): void {
  if (typeof schema === 'string') {
    if (!simpleOk(schema, value)) mismatch(schema, value, path);
    return;
  }
  if ('oneOf' in schema) {
    for (const alt of schema.oneOf) {
      if (shallowOk(alt, value)) {
        validate(value, alt, path);
        return;
      }
    }
    mismatch(expectedName(schema), value, path);
  }
  if ('list' in schema) {
    if (!Array.isArray(value)) mismatch('list', value, path);
    if (schema.nonEmpty && value.length === 0)
      throw formatError('At least one member should be specified', path);
    for (let i = 0; i < value.length; i++) validate(value[i], schema.list, `${path}.${i}`);
    return;
  }
  if (!isDict(value)) mismatch('dict', value, path);
  if ('mapOf' in schema) {
    for (const [k, v] of Object.entries(value)) validate(v, schema.mapOf, `${path}.${k}`);
    return;
  }
  for (const k of Object.keys(value)) {
    if (!(k in schema.dict)) {
      throw formatError(
        `'${k}' is not in schema. Valid schema values: [${Object.keys(schema.dict).join(', ')}]`,
        path,
      );
    }
  }
  for (const [k, f] of Object.entries(schema.dict)) {
    const v = value[k];
    if (v === undefined || v === null) {
      if (f.required) throw formatError(`'${k}' key is required but it is currently missing`, `${path}.${k}`);
      continue;
    }
    validate(v, f.schema, `${path}.${k}`);
  }
}

const shallowOk = (s: Schema, v: unknown): boolean => {
  if (typeof s === 'string') return simpleOk(s, v);
  if ('list' in s) return Array.isArray(v);
  if ('oneOf' in s) return s.oneOf.some((x) => shallowOk(x, v));
  return isDict(v);
};

function mismatch(expected: string, value: unknown, path: string): never {
  throw formatError(`Expected '${expected}' type but found '${typeName(value)}' type`, path);
}

// Shorthands for the section schemas.
export const opt = (schema: Schema): Field => ({ schema });
export const req = (schema: Schema): Field => ({ schema, required: true });
