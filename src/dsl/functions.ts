// Intrinsic functions: recognition, argument checks at parse, and the static (deployment-creation)
// evaluation of get_input, get_property, concat, merge and string_*. Runtime ones stay raw here.
import { DslError, plainError } from './errors.js';
import { checkArgumentTypes } from './function-args.js';
import { isDict } from './schema.js';

import {
  FUNCTION_NAMES,
  functionName,
  isFunction,
  RUNTIME_FUNCTIONS,
  returnType,
  STATIC_FUNCTIONS,
} from './function-names.js';

export { FUNCTION_NAMES, functionName, isFunction, RUNTIME_FUNCTIONS, STATIC_FUNCTIONS };

/** True when a value still holds a function anywhere inside. */
export function containsFunction(v: unknown, only?: Set<string>): boolean {
  const f = functionName(v);
  if (f !== undefined && (!only || only.has(f))) return true;
  if (Array.isArray(v)) return v.some((x) => containsFunction(x, only));
  if (isDict(v)) return Object.values(v).some((x) => containsFunction(x, only));
  return false;
}

/** Visits every function call in a value tree (depth-first, outer call first). */
export function walkFunctions(v: unknown, visit: (f: string, args: any) => void): void {
  const f = functionName(v);
  if (f !== undefined) {
    const args = (v as Record<string, any>)[f];
    visit(f, args);
    walkFunctions(args, visit);
    return;
  }
  if (Array.isArray(v)) for (const x of v) walkFunctions(x, visit);
  else if (isDict(v)) for (const x of Object.values(v)) walkFunctions(x, visit);
}

export interface EvalScope {
  self?: string;
  source?: string;
  target?: string;
}

export interface StaticContext {
  inputs: Record<string, any>;
  nodeProperties(name: string): Record<string, any> | undefined;
  /**
   * Deployment creation (the reference's plan evaluation): a runtime function left in the arguments of
   * get_input, get_property or string_* is a FunctionEvaluationError; concat and merge stay as they are.
   * Without it (runtime evaluation) such a call is kept for the runtime pass.
   */
  strict?: boolean;
}

const KEEP_WITH_RUNTIME_ARGS = new Set(['concat', 'merge']);
const topLevelFunction = (args: unknown): boolean =>
  Array.isArray(args) ? args.some((x) => functionName(x) !== undefined) : functionName(args) !== undefined;

/** Python's str() of a scalar, which is what concat produces in the reference. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  return JSON.stringify(v);
}

/** The reference's evaluation handler depth limit (functions.limit_recursion(50)). */
export const RECURSION_LIMIT = 50;

/**
 * Evaluates static functions; runtime ones are kept with their arguments evaluated. `depth` counts
 * nested values and evaluations like the reference's handler, so a function that needs its own value
 * (`prop: {get_input: {get_property: [SELF, prop]}}`) ends in EvaluationRecursionLimitReached.
 */
export function evaluateStatic(v: any, ctx: StaticContext, scope: EvalScope, depth = 0, path = ''): any {
  if (depth > RECURSION_LIMIT) {
    throw plainError(
      'EvaluationRecursionLimitReached',
      `The recursion limit (${RECURSION_LIMIT}) has been reached while evaluating the deployment. Limit was reached with the following path - ${path.slice(0, 500)}`,
    );
  }
  const f = functionName(v);
  if (f !== undefined) {
    const args = evaluateStatic(v[f], ctx, scope, depth + 1, `${path}.${f}`);
    const type = returnType(v);
    const raw = type === undefined ? { [f]: args } : { [f]: args, type };
    if (!STATIC_FUNCTIONS.has(f)) return raw;
    if (ctx.strict && !KEEP_WITH_RUNTIME_ARGS.has(f) && topLevelFunction(args)) {
      throw plainError(
        'FunctionEvaluationError',
        `${f}: found an unresolved argument: ${JSON.stringify(args)} (at ${path.slice(1) || 'the top level'})`,
      );
    }
    if (containsFunction(args)) return raw;
    checkArgumentTypes(f, args, 'evaluate');
    const r = applyStatic(f, args, ctx, scope, depth + 1, path);
    if (f === 'get_input' && type !== undefined) checkReturnType(r, type, args, path);
    return containsFunction(r) ? evaluateStatic(r, ctx, scope, depth + 1, path) : r;
  }
  if (Array.isArray(v)) return v.map((x, i) => evaluateStatic(x, ctx, scope, depth + 1, `${path}[${i}]`));
  if (isDict(v)) {
    const out: Record<string, any> = {};
    for (const [k, x] of Object.entries(v)) out[k] = evaluateStatic(x, ctx, scope, depth + 1, `${path}.${k}`);
    return out;
  }
  return v;
}

export function navigate(
  value: any,
  path: any[],
  describe: () => string,
  errorClass: 'InputEvaluationError' | 'FunctionEvaluationError',
): any {
  let cur = value;
  for (const key of path) {
    if (Array.isArray(cur)) {
      if (typeof key !== 'number')
        throw plainError(
          errorClass,
          `${describe()}: list index must be an integer, got ${JSON.stringify(key)}`,
        );
      if (key < 0 || key >= cur.length)
        throw plainError(
          errorClass,
          `List size of '${describe()}' is ${cur.length} but index ${key} is retrieved.`,
        );
      cur = cur[key];
    } else if (isDict(cur)) {
      if (!(key in cur)) throw plainError(errorClass, `${describe()}: key '${key}' does not exist`);
      cur = cur[key];
    } else {
      throw plainError(
        errorClass,
        `${describe()}: cannot look up ${JSON.stringify(key)} in ${JSON.stringify(cur)}`,
      );
    }
  }
  return cur;
}

function applyStatic(
  f: string,
  a: any,
  ctx: StaticContext,
  scope: EvalScope,
  depth: number,
  where: string,
): any {
  switch (f) {
    case 'get_input': {
      const [name, ...path] = Array.isArray(a) ? a : [a];
      if (!(name in ctx.inputs))
        throw plainError('UnknownInputError', `get_input function references an unknown input '${name}'`);
      return structuredClone(navigate(ctx.inputs[name], path, () => name, 'InputEvaluationError'));
    }
    case 'get_property': {
      const [ref, ...path] = a;
      const node =
        ref === 'SELF' ? scope.self : ref === 'SOURCE' ? scope.source : ref === 'TARGET' ? scope.target : ref;
      if (node === undefined)
        throw plainError('ValueError', `${ref} cannot be used with get_property in this context`);
      const props = ctx.nodeProperties(node);
      if (!props)
        throw plainError('KeyError', `get_property function node reference '${node}' does not exist`);
      const flat = path.flat();
      const sub: EvalScope = { self: node };
      let cur: any = props;
      for (const key of flat) {
        // only the value on the path is evaluated (evaluating the whole level would be exponential)
        if (functionName(cur) !== undefined) cur = evaluateStatic(cur, ctx, sub, depth + 1, where);
        cur = navigate(
          cur,
          [key],
          () => `Node template property '${flat.join('.')}' of '${node}'`,
          'FunctionEvaluationError',
        );
      }
      return evaluateStatic(structuredClone(cur), ctx, sub, depth + 1, where);
    }
    case 'concat':
      return a.map(pyStr).join('');
    case 'merge': {
      const out: Record<string, any> = {};
      for (const d of a) {
        if (!isDict(d))
          throw plainError(
            'FunctionEvaluationError',
            `merge arguments must be dicts, got ${JSON.stringify(d)}`,
          );
        Object.assign(out, d);
      }
      return out;
    }
    case 'string_find':
      return String(a[0]).indexOf(String(a[1]));
    case 'string_replace': {
      const [s, o, n, count] = a;
      let out = String(s);
      let left = count === undefined || count < 0 ? Number.POSITIVE_INFINITY : count;
      let from = 0;
      while (left-- > 0 && o !== '') {
        const i = out.indexOf(o, from);
        if (i < 0) break;
        out = out.slice(0, i) + n + out.slice(i + o.length);
        from = i + String(n).length;
      }
      return out;
    }
    case 'string_split': {
      const parts = String(a[0]).split(String(a[1]));
      return a.length > 2 ? parts[a[2]] : parts;
    }
    case 'string_lower':
      return String(Array.isArray(a) ? a[0] : a).toLowerCase();
    case 'string_upper':
      return String(Array.isArray(a) ? a[0] : a).toUpperCase();
  }
  throw new DslError(null, `unknown function ${f}`, 'ValueError');
}

/** GetInput with a `type` (utils.parse_simple_type_value): the value must fit it (InputEvaluationError). */
function checkReturnType(v: unknown, type: unknown, input: unknown, path: string): void {
  const num = typeof v === 'number';
  const ok =
    type === 'integer'
      ? num && Number.isInteger(v)
      : type === 'float'
        ? num
        : type === 'boolean'
          ? typeof v === 'boolean'
          : type === 'list'
            ? Array.isArray(v)
            : type === 'dict'
              ? isDict(v)
              : type === 'regex'
                ? typeof v === 'string'
                : [
                    'string',
                    'textarea',
                    'deployment_id',
                    'blueprint_id',
                    'node_id',
                    'node_type',
                    'node_instance',
                    'capability_value',
                    'scaling_group',
                    'secret_key',
                    'operation_name',
                  ].includes(String(type));
  if (!ok)
    throw plainError(
      'InputEvaluationError',
      `Value '${pyStr(v)}' of input '${pyStr(input)}' does not match data type declared for '${path.slice(1)}': '${String(type)}'.`,
    );
}
