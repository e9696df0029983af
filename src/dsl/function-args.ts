// Intrinsic-function arguments as the reference checks them: the shape when a function is parsed
// (parse_args; ValueError for the classic functions, FunctionValidationError for the newer ones), the
// argument types and the DSL version when the plan is validated (validate), and the types again when a
// static function is evaluated (FunctionEvaluationError).
import { type DslError, plainError } from './errors.js';
import { isFunction } from './function-names.js';

const badArgs = (
  f: string,
  args: unknown,
  why: string,
  cls: 'ValueError' | 'FunctionValidationError' = 'ValueError',
): DslError => plainError(cls, `Illegal arguments passed to ${f} function: ${JSON.stringify(args)} (${why})`);
const invalid = (f: string, args: unknown, why: string): DslError =>
  badArgs(f, args, why, 'FunctionValidationError');

const SYS_PROPERTIES: Record<string, string[]> = {
  tenant: ['name'],
  deployment: ['id', 'name', 'blueprint', 'owner'],
};

const strOrFn = (x: unknown) => typeof x === 'string' || isFunction(x);
const scalarOrFn = (x: unknown) =>
  typeof x === 'string' || Number.isInteger(x) || typeof x === 'boolean' || isFunction(x);

/** `[deployment|group, capability, key/index…]`: 2+ items, each a string, an int or a function. */
function checkCapabilityPath(f: string, a: unknown, listAt1: boolean): void {
  if (!Array.isArray(a)) throw badArgs(f, a, 'the argument should be a list');
  if (a.length < 2) throw badArgs(f, a, 'the list should have 2 elements at least');
  for (const [i, x] of a.entries()) {
    if (listAt1 && i === 1 && Array.isArray(x)) continue;
    if (!scalarOrFn(x))
      throw badArgs(
        f,
        a,
        `arguments can't be complex values; only strings/ints/functions are accepted (item ${i})`,
      );
  }
}

/** The shape of a function's arguments (parse_args), the same for every phase. */
export function checkArguments(f: string, a: unknown): void {
  const list = Array.isArray(a);
  switch (f) {
    case 'get_input':
      if (!(strOrFn(a) || (list && a.length >= 1 && strOrFn(a[0]))))
        throw badArgs(f, a, 'expected a name or a list');
      return;
    case 'get_secret':
      if (!((list && a.length > 1) || typeof a === 'string' || isFunction(a)))
        throw invalid(f, a, 'expected a list with at least 2 elements, a string, or a function');
      return;
    case 'get_environment_capability':
      checkEnvironmentCapability(f, a);
      return;
    case 'get_label':
      checkGetLabel(a);
      return;
    case 'get_capability':
    case 'get_group_capability':
      checkCapabilityPath(f, a, f === 'get_group_capability');
      return;
    case 'get_property':
    case 'get_attribute':
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
      if (!list || a.length !== 2) throw invalid(f, a, 'should be called with exactly two parameters');
      return;
    case 'string_replace':
      if (!list || a.length < 3 || a.length > 4)
        throw invalid(f, a, 'should be called with three or four parameters');
      return;
    case 'string_split':
      if (!list || a.length < 2 || a.length > 3)
        throw invalid(f, a, 'should be called with two or three parameters');
      return;
    case 'string_lower':
    case 'string_upper':
      if (
        !(
          typeof a === 'string' ||
          (a !== null && typeof a === 'object' && !list && Object.keys(a).length === 1)
        )
      )
        throw invalid(f, a, 'should be called with exactly one parameter');
      return;
  }
}

/** Python's isinstance(x, int): bool counts as int. */
const pyInt = (x: unknown) => Number.isInteger(x) || typeof x === 'boolean';

/** The string_* arguments: [name, python type] per position. */
function stringArgs(f: string, a: any): [string, unknown, 'str' | 'int'][] {
  switch (f) {
    case 'string_find':
      return [
        ['haystack', a[0], 'str'],
        ['needle', a[1], 'str'],
      ];
    case 'string_replace':
      return [
        ['haystack', a[0], 'str'],
        ['needle', a[1], 'str'],
        ['replacement', a[2], 'str'],
        ...(a[3] !== undefined && a[3] !== null ? [['count', a[3], 'int'] as [string, unknown, 'int']] : []),
      ];
    case 'string_split':
      return [
        ['input', a[0], 'str'],
        ['separator', a[1], 'str'],
        ...(a[2] !== undefined && a[2] !== null ? [['index', a[2], 'int'] as [string, unknown, 'int']] : []),
      ];
    case 'string_lower':
    case 'string_upper':
      return [['input', a, 'str']];
  }
  return [];
}

/**
 * The checks of validate(plan) and evaluate(): a string_* argument of the wrong type, concat before
 * 1_1, merge before 1_3 or of a non-dict. At validation a function argument is accepted; at evaluation
 * it is an error (FunctionEvaluationError) like a wrong type.
 */
export function checkArgumentTypes(
  f: string,
  a: any,
  phase: 'validate' | 'evaluate',
  version?: [number, number],
): void {
  const cls = phase === 'validate' ? 'FunctionValidationError' : 'FunctionEvaluationError';
  for (const [name, v, type] of stringArgs(f, a)) {
    if (isFunction(v)) {
      if (phase === 'validate') continue;
      throw plainError(cls, `${f}: argument \`${name}\` should not be a function (${JSON.stringify(v)})`);
    }
    if (type === 'str' ? typeof v !== 'string' : !pyInt(v))
      throw plainError(
        cls,
        `${f}: argument \`${name}\` should be of type ${type} but is ${JSON.stringify(v)}`,
      );
  }
  if (phase !== 'validate' || version === undefined) return;
  const before = (min: [number, number]) =>
    version[0] < min[0] || (version[0] === min[0] && version[1] < min[1]);
  if (f === 'concat' && before([1, 1]))
    throw plainError(cls, `Using concat requires using dsl version 1_1 or greater`);
  if (f === 'merge') {
    if (before([1, 3])) throw plainError(cls, `Using merge requires using dsl version 1_3 or greater`);
    for (const x of a)
      if (x === null || typeof x !== 'object' || Array.isArray(x))
        throw plainError(cls, `Encountered non-dict element for merge: ${JSON.stringify(x)}`);
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
