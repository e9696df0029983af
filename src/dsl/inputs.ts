// Input definitions (parse) and input values (deployment creation): types, constraints, defaults.
import { DslError, logicError, plainError } from './errors.js';
import { containsFunction, isFunction } from './functions.js';
import { isDict } from './schema.js';
import { checkValue, integerGotFloat, type MergeContext, OBJECT_TYPES, PRIMITIVES } from './types.js';
import { isYamlFloat } from './yaml-load.js';
import { type DslVersion, versionAtLeast } from './version.js';

const CONSTRAINTS = new Set([
  'equal',
  'greater_than',
  'greater_or_equal',
  'less_than',
  'less_or_equal',
  'in_range',
  'valid_values',
  'length',
  'min_length',
  'max_length',
  'pattern',
  'filter_id',
  'labels',
  'tenants',
  'name_pattern',
  'deployment_id',
]);

export function checkInputDefinitions(
  inputs: Record<string, any>,
  ctx: MergeContext,
  version: DslVersion,
): void {
  for (const [name, d] of Object.entries(inputs)) {
    const t = d.type;
    if (t !== undefined && !PRIMITIVES.has(t) && !(t in ctx.dataTypes)) {
      if (!OBJECT_TYPES.has(t) || !versionAtLeast(version, t === 'operation_name' ? [1, 5] : [1, 4])) {
        throw logicError(103, `Illegal type name '${t}' of input '${name}'`);
      }
    }
    if (d.hidden === true && d.required !== false && d.default === undefined) {
      throw logicError(215, `Input '${name}' is hidden and required but has no default value`);
    }
    if (d.display !== undefined && t !== 'textarea') {
      throw new DslError(
        216,
        `Input '${name}': 'display' is only allowed for inputs of type textarea`,
        'DSLParsingInputTypeException',
      );
    }
    if (d.item_type !== undefined && d.item_type !== null && d.item_type !== '') {
      if (t !== 'list')
        throw logicError(218, `Property item_type defined for unsupported type: '${t}' (input '${name}')`);
      if (!PRIMITIVES.has(d.item_type) && !OBJECT_TYPES.has(d.item_type))
        throw logicError(217, `Illegal item_type '${d.item_type}' (input '${name}')`);
    }
    for (const c of d.constraints ?? []) parseConstraint(c, name, version);
    if (d.constraints?.length && isFunction(d.default)) throw functionWithConstraints(name, d.default);
    if (d.default !== undefined && !containsFunction(d.default)) {
      if (t === 'integer' && isYamlFloat(d, 'default'))
        throw integerGotFloat({ owner: name, path: [], raiseOnMissing: true }, [], d.default);
      checkValue(d.default, t, ctx, `inputs.${name}.default`);
      checkConstraints(d.default, d.constraints ?? [], name);
    }
  }
}

const functionWithConstraints = (name: string, v: unknown) =>
  new DslError(
    213,
    `Input value ${JSON.stringify(v)}, of input ${name}, cannot contain an intrinsic function and also have constraints.`,
    'DSLParsingException',
  );

function parseConstraint(c: unknown, input: string, version: DslVersion): [string, any] {
  if (!isDict(c)) throw logicError(212, `Constraint of input '${input}' must be a single-key mapping`);
  const ops = Object.keys(c).filter((k) => CONSTRAINTS.has(k));
  const extra = Object.keys(c).filter((k) => !CONSTRAINTS.has(k));
  if (ops.length !== 1 || (extra.length > 0 && !versionAtLeast(version, [1, 5]))) {
    throw logicError(
      212,
      `Constraint of input '${input}' must name exactly one operator, got ${JSON.stringify(c)}`,
    );
  }
  const [op, arg] = [ops[0], c[ops[0]]];
  if (!isFunction(arg) && !ARG_OK[op](arg)) {
    throw logicError(
      212,
      `Invalid constraint operator argument "${typeof arg === 'string' ? arg : JSON.stringify(arg)}", for constraint operator "${op}" in "${input}".`,
    );
  }
  return [op, arg];
}

// The argument each operator takes (constraints.py VALIDATION_FUNCTIONS): numbers (not booleans), a pair
// of numbers, a list, a regular expression, a string or a mapping.
const scalar = (a: unknown) => typeof a === 'number';
const regexOk = (a: unknown) => {
  if (typeof a !== 'string') return false;
  try {
    new RegExp(a);
    return true;
  } catch {
    return false;
  }
};
const ARG_OK: Record<string, (a: unknown) => boolean> = {
  equal: scalar,
  greater_than: scalar,
  greater_or_equal: scalar,
  less_than: scalar,
  less_or_equal: scalar,
  in_range: (a) => Array.isArray(a) && a.length === 2 && scalar(a[0]) && scalar(a[1]),
  valid_values: Array.isArray,
  length: scalar,
  min_length: scalar,
  max_length: scalar,
  pattern: regexOk,
  filter_id: (a) => typeof a === 'string',
  labels: Array.isArray,
  tenants: Array.isArray,
  name_pattern: isDict,
  deployment_id: (a) => typeof a === 'string',
};

const violation = (input: string, op: string, arg: unknown, v: unknown) =>
  plainError(
    'ConstraintException',
    `Value ${JSON.stringify(v)} of input '${input}' violates constraint ${op}(${JSON.stringify(arg)})`,
  );

/** Checks a concrete value against the input's constraints (ConstraintException on violation). */
export function checkConstraints(v: unknown, constraints: unknown[], input: string): void {
  for (const c of constraints) {
    if (!isDict(c)) continue;
    const op = Object.keys(c).find((k) => CONSTRAINTS.has(k));
    if (!op) continue;
    const a = c[op];
    const len = (x: unknown) =>
      typeof x === 'string' || Array.isArray(x) ? x.length : isDict(x) ? Object.keys(x).length : NaN;
    let ok = true;
    switch (op) {
      case 'equal':
        ok = JSON.stringify(v) === JSON.stringify(a);
        break;
      case 'greater_than':
        ok = (v as any) > a;
        break;
      case 'greater_or_equal':
        ok = (v as any) >= a;
        break;
      case 'less_than':
        ok = (v as any) < a;
        break;
      case 'less_or_equal':
        ok = (v as any) <= a;
        break;
      case 'in_range':
        ok = (v as any) >= a[0] && (v as any) <= a[1];
        break;
      case 'valid_values':
        ok = Array.isArray(a) && a.some((x) => JSON.stringify(x) === JSON.stringify(v));
        break;
      case 'length':
        ok = len(v) === a;
        break;
      case 'min_length':
        ok = len(v) >= a;
        break;
      case 'max_length':
        ok = len(v) <= a;
        break;
      case 'pattern':
        ok = typeof v === 'string' && new RegExp(`^(?:${a})$`).test(v);
        break;
      default:
        ok = true; // data-based constraints are checked by the manager against its database
    }
    if (!ok) throw violation(input, op, a, v);
  }
}

const castString = (v: unknown, type: string | undefined): unknown => {
  if (typeof v !== 'string') return v;
  if (type === 'integer' && /^[-+]?\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  if (type === 'float' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (type === 'boolean' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
  if ((type === 'list' || type === 'dict') && /^[[{]/.test(v.trim())) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
};

/** Final input values for a deployment (tasks.py _set_plan_inputs). */
export function resolveInputs(
  defs: Record<string, any>,
  given: Record<string, unknown>,
  ctx: MergeContext,
  autoCorrectTypes = false,
): Record<string, any> {
  const unknown = Object.keys(given).filter((k) => !(k in defs));
  if (unknown.length > 0) {
    throw plainError(
      'UnknownInputError',
      `Unknown input(s) specified: ${unknown.map((u) => `'${u}'`).join(', ')}`,
    );
  }
  const out: Record<string, any> = {};
  const missing: string[] = [];
  for (const [name, d] of Object.entries(defs)) {
    let v: unknown;
    if (name in given) {
      v = autoCorrectTypes ? castString(given[name], d.type) : given[name];
      if (typeof v === 'string' && /[^\x20-\x7e\t\n\r]/.test(v)) {
        throw new DslError(108, `Input '${name}' holds non-ASCII characters`, 'DSLParsingInputTypeException');
      }
      if (d.constraints?.length && isFunction(v)) throw functionWithConstraints(name, v);
      if (!isFunction(v)) {
        try {
          v = checkValue(v, d.type, ctx, `input '${name}'`);
        } catch (e) {
          // A given value that does not fit the type (or the data type's schema) is error 214.
          if (e instanceof DslError && (e.code === 105 || e.code === 106 || e.code === 107)) {
            throw new DslError(
              214,
              `Value ${JSON.stringify(v)} of input '${name}' does not match its type '${d.type}': ${e.message}`,
              'DSLParsingException',
            );
          }
          throw e;
        }
      }
    } else if (d.default !== undefined) v = structuredClone(d.default);
    else if (d.type && d.type in ctx.dataTypes) {
      try {
        v = checkValue({}, d.type, ctx, `input '${name}'`);
      } catch {
        v = undefined;
      }
    }
    if (v === undefined) {
      if (d.required === false) {
        out[name] = null;
        continue;
      }
      missing.push(name);
      continue;
    }
    if (!isFunction(v)) checkConstraints(v, d.constraints ?? [], name);
    out[name] = v;
  }
  if (missing.length > 0) {
    throw plainError(
      'MissingRequiredInputError',
      `Required input(s) ${missing.map((m) => `'${m}'`).join(', ')} were not specified`,
    );
  }
  return out;
}
