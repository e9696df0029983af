// The part of JSON Schema that 5.1's config entries use: type, enum, minimum, maximum.

const TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  null: (v) => v === null,
};

/** Why `value` breaks `schema` (one line, as jsonschema words it), or undefined when it fits. */
export function checkSchema(value: unknown, schema: Record<string, unknown>): string | undefined {
  const shown = JSON.stringify(value);
  const type = schema.type;
  if (typeof type === 'string' && TYPES[type] && !TYPES[type](value))
    return `${shown} is not of type '${type}'`;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === shown))
    return `${shown} is not one of ${JSON.stringify(schema.enum)}`;
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum)
      return `${shown} is less than the minimum of ${schema.minimum}`;
    if (typeof schema.maximum === 'number' && value > schema.maximum)
      return `${shown} is greater than the maximum of ${schema.maximum}`;
  }
  return undefined;
}
