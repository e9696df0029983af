// Intrinsic functions over the finished plan: the parse-time checks of their arguments and references,
// and the requirements (secrets, parent capabilities) they imply.
import { scanPlan } from './plan-scan.js';
import { plainError } from './errors.js';
import { checkArguments, checkArgumentTypes } from './function-args.js';
import { isFunction, walkFunctions } from './functions.js';
import { isDict } from './schema.js';

/** A parsed blueprint: the plan Cloudify's parser returns (dsl-and-workflows.md §2). */
export type Plan = Record<string, any>;

/** Parse-time function checks: arity, known inputs, known nodes, SELF/SOURCE/TARGET scope. */
export function validateFunctions(plan: Plan): void {
  const nodeNames = new Set(plan.nodes.map((n: any) => n.name));
  const props = new Map<string, unknown>(plan.nodes.map((n: any) => [n.name, n.properties]));
  const check = (value: unknown, scope: 'node' | 'relationship' | 'none', where: string, at: Names = {}) =>
    walkFunctions(value, (f, a) => {
      checkArguments(f, a);
      checkArgumentTypes(f, a, 'validate', plan.version.definitions_version);
      if (f === 'get_input') {
        const name = Array.isArray(a) ? a[0] : a;
        if (typeof name === 'string' && !(name in plan.inputs)) {
          throw plainError(
            'UnknownInputError',
            `${where}: get_input function references an unknown input '${name}'`,
          );
        }
      }
      if (['get_property', 'get_attribute'].includes(f) && typeof a[0] === 'string') {
        const ref = a[0];
        if (ref === 'SELF' && scope !== 'node')
          throw plainError('ValueError', `${where}: SELF cannot be used with ${f} here`);
        if ((ref === 'SOURCE' || ref === 'TARGET') && scope !== 'relationship') {
          throw plainError('ValueError', `${where}: ${ref} can only be used with ${f} in a relationship`);
        }
        if (!['SELF', 'SOURCE', 'TARGET'].includes(ref) && !nodeNames.has(ref)) {
          throw plainError('KeyError', `${where}: ${f} function node reference '${ref}' does not exist`);
        }
        if (f === 'get_property') checkPropertyPath(props, a, at, where);
      }
    });
  for (const n of plan.nodes) {
    const self = { self: n.name };
    check(n.properties, 'node', `node_templates.${n.name}.properties`, self);
    check(n.operations, 'node', `node_templates.${n.name}.interfaces`, self);
    for (const r of n.relationships) {
      check(r.properties, 'node', `node_templates.${n.name}.relationships`, self);
      check(
        [r.source_operations, r.target_operations],
        'relationship',
        `node_templates.${n.name}.relationships`,
        { source: n.name, target: r.target_id },
      );
    }
  }
  check(plan.outputs, 'none', 'outputs');
  check(plan.capabilities, 'none', 'capabilities');
  for (const [k, d] of Object.entries(plan.inputs as Record<string, any>))
    check(d?.default, 'none', `inputs.${k}`);
  for (const [k, l] of Object.entries(plan.labels as Record<string, any>))
    check(isDict(l) ? l.values : undefined, 'none', `labels.${k}`);
  check(plan.resource_tags, 'none', 'resource_tags');
  check(plan.policies, 'none', 'policies');
  for (const [k, g] of Object.entries((plan.scaling_groups ?? {}) as Record<string, any>))
    check(g?.properties, 'none', `scaling_groups.${k}.properties`);
  check(plan.deployment_settings, 'none', 'deployment_settings');
}

interface Names {
  self?: string;
  source?: string;
  target?: string;
}

/**
 * GetProperty.validate: a path without functions must exist in the node's properties (the raw values;
 * a function met on the way ends the check, it is evaluated at deployment).
 */
function checkPropertyPath(props: Map<string, unknown>, a: any[], at: Names, where: string): void {
  const path = a.slice(1).flat();
  if ([a[0], ...path].some((x) => isFunction(x))) return;
  const node =
    a[0] === 'SELF' ? at.self : a[0] === 'SOURCE' ? at.source : a[0] === 'TARGET' ? at.target : a[0];
  if (node === undefined) return;
  let cur: unknown = props.get(node);
  const fail = (why: string) =>
    plainError(
      'FunctionEvaluationError',
      `Unable to evaluate get_property function: Node template property '${node}.properties.${path.join('.')}' referenced from '${where}' ${why}`,
    );
  for (const key of path) {
    if (isFunction(cur)) return;
    if (Array.isArray(cur)) {
      if (typeof key !== 'number' || !Number.isInteger(key))
        throw fail(`is a list, not indexed by ${JSON.stringify(key)}`);
      if (key < -cur.length || key >= cur.length)
        throw fail(`index is out of range. Got ${key} but list size is ${cur.length}`);
      cur = cur[key < 0 ? cur.length + key : key];
    } else if (isDict(cur)) {
      if (!(String(key) in cur)) throw fail("doesn't exist.");
      cur = cur[String(key)];
    } else throw fail(`is not a dict or a list (${JSON.stringify(cur)})`);
  }
}

/** The secrets and parent deployments' capabilities the plan reads (functions.find_requirements). */
export function requirements(plan: Plan): Record<string, any> {
  const secrets: unknown[] = [];
  const parents: unknown[][] = [];
  scanPlan(plan, (f, a) => {
    if (f === 'get_secret') secrets.push(a);
    if (f === 'get_environment_capability') parents.push(Array.isArray(a) ? a : [a]);
  });
  return { parent_capabilities: parents, secrets };
}
