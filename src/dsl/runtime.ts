// Runtime evaluation of functions the deployment plan leaves raw (get_attribute*, get_secret,
// get_capability, …). The manager supplies its state through the RuntimeContext port.
import { plainError } from './errors.js';
import { type EvalScope, evaluateStatic, functionName, navigate, pyStr } from './functions.js';
import { isDict } from './schema.js';

export interface RuntimeNodeInstance {
  id: string;
  node_id: string;
  runtime_properties: Record<string, unknown>;
  relationships?: { target_id: string; target_name?: string }[];
  index?: number;
}

/** What the manager knows at dispatch time. Optional members throw when a blueprint needs them. */
export interface RuntimeContext {
  inputs: Record<string, unknown>;
  nodeProperties(nodeId: string): Record<string, unknown> | undefined;
  nodeInstance(id: string): RuntimeNodeInstance | undefined;
  nodeInstances(nodeId: string): RuntimeNodeInstance[];
  secret?(name: string): string | undefined;
  capability?(deploymentId: string, name: string): unknown;
  environmentCapability?(name: string): unknown;
  groupCapability?(groupId: string, name: string): unknown;
  label?(key: string): string[] | undefined;
  sys?(entity: 'tenant' | 'deployment', property: string): unknown;
  consumers?(kind: 'ids' | 'names' | 'count'): unknown;
}

/** Scope is instance ids: `self`, or `source`/`target` for relationship operations. */
export function evaluateRuntimeFunctions(value: unknown, ctx: RuntimeContext, scope: EvalScope = {}): any {
  const nodeOf = (id: string | undefined) => (id ? ctx.nodeInstance(id)?.node_id : undefined);
  const staticScope = {
    self: nodeOf(scope.self),
    source: nodeOf(scope.source),
    target: nodeOf(scope.target),
  };
  const once = evaluateStatic(
    value,
    { inputs: ctx.inputs as Record<string, any>, nodeProperties: (n) => ctx.nodeProperties(n) as any },
    staticScope,
  );
  return walk(once, ctx, scope, 0);
}

function walk(v: any, ctx: RuntimeContext, scope: EvalScope, depth: number): any {
  if (depth > 64)
    throw plainError('FunctionEvaluationError', 'Maximum recursion depth reached while evaluating functions');
  const f = functionName(v);
  if (f !== undefined) {
    const args = walk(v[f], ctx, scope, depth + 1);
    return walk(apply(f, args, ctx, scope), ctx, scope, depth + 1);
  }
  if (Array.isArray(v)) return v.map((x) => walk(x, ctx, scope, depth));
  if (isDict(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, ctx, scope, depth)]));
  return v;
}

const need = <T>(fn: T | undefined, what: string): T => {
  if (fn === undefined)
    throw plainError('FunctionEvaluationError', `${what} is not available in this context`);
  return fn;
};

function instanceFor(ref: string, ctx: RuntimeContext, scope: EvalScope): RuntimeNodeInstance {
  const byScope =
    ref === 'SELF'
      ? scope.self
      : ref === 'SOURCE'
        ? scope.source
        : ref === 'TARGET'
          ? scope.target
          : undefined;
  if (byScope) return need(ctx.nodeInstance(byScope), `node instance ${byScope}`);
  const all = ctx.nodeInstances(ref);
  if (all.length === 1) return all[0];
  // Several instances: pick the one the current instance is related to.
  const self = scope.self ?? scope.source;
  const rel = self
    ? ctx.nodeInstance(self)?.relationships?.filter((r) => all.some((i) => i.id === r.target_id))
    : undefined;
  if (rel && rel.length === 1) return all.find((i) => i.id === rel[0].target_id)!;
  throw plainError(
    'FunctionEvaluationError',
    `get_attribute: node '${ref}' has ${all.length} instances and none is singled out by a relationship`,
  );
}

function attribute(inst: RuntimeNodeInstance, path: any[], ctx: RuntimeContext): unknown {
  const [head, ...rest] = path;
  if (head in inst.runtime_properties)
    return navigate(inst.runtime_properties[head], rest, () => String(head), 'FunctionEvaluationError');
  if (head === 'node_instance_id') return inst.id;
  if (head === 'node_instance_index') return inst.index ?? null;
  const props = ctx.nodeProperties(inst.node_id) ?? {};
  if (head in props) return navigate(props[head], rest, () => String(head), 'FunctionEvaluationError');
  return null;
}

function apply(f: string, a: any, ctx: RuntimeContext, scope: EvalScope): unknown {
  const list = Array.isArray(a) ? a : [a];
  switch (f) {
    case 'get_attribute':
      return attribute(instanceFor(a[0], ctx, scope), a.slice(1).flat(), ctx);
    case 'get_attributes_list':
      return ctx.nodeInstances(a[0]).map((i) => attribute(i, a.slice(1).flat(), ctx));
    case 'get_attributes_dict':
      return Object.fromEntries(
        ctx
          .nodeInstances(a[0])
          .map((i) => [
            i.id,
            Object.fromEntries(
              a.slice(1).map((p: any) => [Array.isArray(p) ? p.join('.') : p, attribute(i, [p].flat(), ctx)]),
            ),
          ]),
      );
    case 'get_secret': {
      const raw = need(ctx.secret, 'secrets')(list[0]);
      if (raw === undefined) throw plainError('UnknownSecretError', `Secret '${list[0]}' does not exist`);
      return list.length > 1
        ? navigate(JSON.parse(raw), list.slice(1), () => list[0], 'FunctionEvaluationError')
        : raw;
    }
    case 'get_capability':
      return navigate(
        need(ctx.capability, 'capabilities')(a[0], a[1]),
        a.slice(2),
        () => a[1],
        'FunctionEvaluationError',
      );
    case 'get_group_capability':
      return need(ctx.groupCapability, 'group capabilities')(a[0], a[1]);
    case 'get_environment_capability':
      return navigate(
        need(ctx.environmentCapability, 'environment capabilities')(list[0]),
        list.slice(1),
        () => list[0],
        'FunctionEvaluationError',
      );
    case 'get_label': {
      const values = need(ctx.label, 'labels')(list[0]) ?? [];
      return list.length > 1 ? values[list[1]] : values.length === 1 ? values[0] : values;
    }
    case 'get_sys':
      return need(ctx.sys, 'system properties')(a[0], a[1]);
    case 'get_consumers':
      return need(ctx.consumers, 'consumers')(a);
    case 'concat':
      return a.map(pyStr).join('');
  }
  return { [f]: a };
}
