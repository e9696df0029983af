// Intrinsic functions: recognition, argument checks at parse, and the static (deployment-creation)
// evaluation of get_input, get_property, concat, merge and string_*. Runtime ones stay raw here.
import { DslError, plainError } from './errors.js';
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
  return undefined;
}
export const isFunction = (v: unknown): boolean => functionName(v) !== undefined;

/** True when a value still holds a function anywhere inside. */
export function containsFunction(v: unknown, only?: Set<string>): boolean {
  const f = functionName(v);
  if (f !== undefined && (!only || only.has(f))) return true;
  if (Array.isArray(v)) return v.some((x) => containsFunction(x, only));
  if (isDict(v)) return Object.values(v).some((x) => containsFunction(x, only));
  return false;
}

// The reference raises FunctionValidationError for the newer functions, ValueError for the classic ones.
const VALIDATION_ERROR_FUNCS = new Set([
  'get_environment_capability',
  'get_label',
  'get_sys',
  'get_consumers',
]);
const badArgs = (f: string, args: unknown, why: string): DslError =>
  plainError(
    VALIDATION_ERROR_FUNCS.has(f) ? 'FunctionValidationError' : 'ValueError',
    `Illegal arguments passed to ${f} function: ${JSON.stringify(args)} (${why})`,
  );

const SYS_PROPERTIES: Record<string, string[]> = {
  tenant: ['name'],
  deployment: ['id', 'name', 'blueprint', 'owner'],
};

const strOrFn = (x: unknown) => typeof x === 'string' || isFunction(x);

/** Arity and shape checks, the same for every phase. */
export function checkArguments(f: string, a: unknown): void {
  const list = Array.isArray(a);
  switch (f) {
    case 'get_input':
    case 'get_secret':
      if (!(strOrFn(a) || (list && a.length >= 1 && strOrFn(a[0]))))
        throw badArgs(f, a, 'expected a name or a list');
      return;
    case 'get_environment_capability':
      checkEnvironmentCapability(f, a);
      return;
    case 'get_label':
      checkGetLabel(a);
      return;
    case 'get_property':
    case 'get_attribute':
    case 'get_capability':
    case 'get_group_capability':
      if (!list || a.length < 2) throw badArgs(f, a, 'expected a list of at least 2 items');
      return;
    case 'get_attributes_list':
    case 'get_attributes_dict':
      if (!list || a.length < 2) throw badArgs(f, a, 'expected [node, attribute, ...]');
      return;
    case 'get_sys':
      checkGetSys(a);
      return;
    case 'get_consumers':
      if (!(typeof a === 'string' && ['ids', 'names', 'count'].includes(a)))
        throw badArgs(f, a, 'expected ids, names or count');
      return;
    case 'concat':
    case 'merge':
      if (!list) throw badArgs(f, a, 'expected a list');
      return;
    case 'string_find':
      if (!list || a.length !== 2) throw badArgs(f, a, 'expected [string, needle]');
      return;
    case 'string_replace':
      if (!list || a.length < 3 || a.length > 4) throw badArgs(f, a, 'expected [string, old, new, count?]');
      return;
    case 'string_split':
      if (!list || a.length < 2 || a.length > 3) throw badArgs(f, a, 'expected [string, separator, index?]');
      return;
    case 'string_lower':
    case 'string_upper':
      if (!(strOrFn(a) || (list && a.length === 1))) throw badArgs(f, a, 'expected a string');
      return;
  }
}

/** get_environment_capability: a name, or a list of at least 2 scalars or functions. */
function checkEnvironmentCapability(f: string, a: unknown): void {
  const list = Array.isArray(a);
  if (!(typeof a === 'string' || (list && a.length >= 2)))
    throw plainError(
      'FunctionValidationError',
      `Illegal arguments passed to ${f} function: ${JSON.stringify(a)} (expected a string or a list of at least 2 items)`,
    );
  if (list) {
    a.forEach((x, i) => {
      if (!(typeof x === 'string' || typeof x === 'number' || isFunction(x)))
        throw plainError(
          'ValueError',
          `${f} function arguments can't be complex values; only strings/ints/functions are accepted (item ${i}: ${JSON.stringify(x)})`,
        );
    });
  }
}

/** get_label: [<label-key>, <index>], a key, or a function. */
function checkGetLabel(a: unknown): void {
  if (Array.isArray(a) && a.length === 2) {
    if (!strOrFn(a[0]))
      throw plainError(
        'FunctionValidationError',
        `get_label: the <label-key> should be a string or a function`,
      );
    const i = a[1];
    if (!(Number.isInteger(i) || (typeof i === 'string' && /^[0-9]+$/.test(i))))
      throw plainError(
        'FunctionValidationError',
        `get_label: the <label-values list index> should be a number (in string or int form), not ${JSON.stringify(i)}`,
      );
    return;
  }
  if (!strOrFn(a))
    throw plainError(
      'FunctionValidationError',
      `get_label function argument should be a list of 2 elements ([<label-key>, <label-values list index>]), a string or a function; got ${JSON.stringify(a)}`,
    );
}

/** get_sys: [entity, property] of SYS_PROPERTIES, either part possibly a function. */
function checkGetSys(a: unknown): void {
  const list = Array.isArray(a);
  if (
    !list ||
    a.length < 2 ||
    !a.every((x) => typeof x === 'string' || typeof x === 'number' || isFunction(x))
  )
    throw plainError(
      'ValueError',
      `Illegal argument(s) passed to get_sys function. Expected a 2-element list identifying an entity and its requested property (e.g. [tenant, name] or [deployment, id]) but got ${JSON.stringify(a)}`,
    );
  const [entity, prop] = a;
  if (isFunction(entity)) return;
  if (typeof entity !== 'string' || !(entity in SYS_PROPERTIES))
    throw plainError(
      'UnknownSysEntityError',
      `get_sys function unable to determine entity: ${JSON.stringify(entity)}`,
    );
  if (isFunction(prop)) return;
  if (typeof prop !== 'string' || !SYS_PROPERTIES[entity].includes(prop))
    throw plainError(
      'UnknownSysPropertyError',
      `get_sys function unable to determine property: ${entity} ${JSON.stringify(prop)}`,
    );
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
}

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
    if (!STATIC_FUNCTIONS.has(f) || containsFunction(args)) return { [f]: args };
    const r = applyStatic(f, args, ctx, scope, depth + 1, path);
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
  path: string,
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
        if (functionName(cur) !== undefined) cur = evaluateStatic(cur, ctx, sub, depth + 1, path);
        cur = navigate(
          cur,
          [key],
          () => `Node template property '${flat.join('.')}' of '${node}'`,
          'FunctionEvaluationError',
        );
      }
      return evaluateStatic(structuredClone(cur), ctx, sub, depth + 1, path);
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
