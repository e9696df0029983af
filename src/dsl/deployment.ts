// prepareDeploymentPlan (dsl_parser/tasks.py): final inputs, static functions evaluated, node instances.
import { plainError } from './errors.js';
import { interDeploymentFunctions } from './idd.js';
import { type EvalScope, evaluateStatic, type StaticContext, walkFunctions } from './functions.js';
import { type IdGenerator, expandInstances, randomIds } from './instances.js';
import { resolveInputs } from './inputs.js';
import { containsFunction, RUNTIME_FUNCTIONS } from './functions.js';
import type { Plan } from './parser.js';
import { dataTypeContext } from './types.js';

export interface DeploymentOptions {
  /** Instance-id source; default random `<node>_<6 [a-z0-9]>`. */
  idGenerator?: IdGenerator;
  /** Secret existence check; when given, `get_secret` names must exist (UnknownSecretError). */
  secretExists?: (name: string) => boolean;
  /** Cast string inputs to the declared type (the REST `auto_correct_types`). */
  autoCorrectTypes?: boolean;
  /** Leave every function for runtime evaluation. */
  runtimeOnlyEvaluation?: boolean;
  /** Ids already taken (e.g. by existing instances). */
  existingIds?: Iterable<string>;
}

export type DeploymentPlan = Plan & { node_instances: ReturnType<typeof expandInstances> };

export function prepareDeploymentPlan(
  plan: Plan,
  inputs: Record<string, unknown> = {},
  opts: DeploymentOptions = {},
): DeploymentPlan {
  const dp: Record<string, any> = structuredClone(plan);
  const dataTypes = dp.data_types ?? {};
  const mergeCtx = dataTypeContext(dataTypes);
  dp.inputs = resolveInputs(plan.inputs ?? {}, inputs ?? {}, mergeCtx, opts.autoCorrectTypes);
  if (opts.secretExists) {
    const missing = new Set<string>();
    walkFunctions([dp.nodes, dp.outputs, dp.capabilities], (f, a) => {
      const n = Array.isArray(a) ? a[0] : a;
      if (f === 'get_secret' && typeof n === 'string' && !opts.secretExists!(n)) missing.add(n);
    });
    if (missing.size > 0)
      throw plainError(
        'UnknownSecretError',
        `Required secrets: [${[...missing].join(', ')}] don't exist in this tenant`,
      );
  }
  if (!opts.runtimeOnlyEvaluation) evaluatePlan(dp);
  dp.node_instances = expandInstances(dp, opts.idGenerator ?? randomIds, new Set(opts.existingIds ?? []));
  dp.inter_deployment_functions = interDeploymentFunctions(dp);
  return dp as DeploymentPlan;
}

/**
 * Node-instance expansion only (multi_instance.create_deployment_plan): no inputs, no function
 * evaluation, no inter-deployment records.
 */
export function createDeploymentPlan(plan: Plan, opts: DeploymentOptions = {}): DeploymentPlan {
  const dp: Record<string, any> = structuredClone(plan);
  dp.node_instances = expandInstances(dp, opts.idGenerator ?? randomIds, new Set(opts.existingIds ?? []));
  return dp as DeploymentPlan;
}

/**
 * Operation inputs are scanned key by key (scan._scan_operations): inputs written as one function
 * (`inputs: {merge: [...]}`) keep it, only its arguments are evaluated.
 */
const evalInputs = (inputs: unknown, ctx: StaticContext, scope: EvalScope): any =>
  inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs)
    ? Object.fromEntries(
        Object.entries(inputs as Record<string, unknown>).map(([k, v]) => [
          k,
          evaluateStatic(v, ctx, scope, 1, `.${k}`),
        ]),
      )
    : evaluateStatic(inputs, ctx, scope);

/** Replaces static functions everywhere the reference scans (scan.py), in place. */
export function evaluatePlan(dp: Record<string, any>): void {
  const byName = new Map<string, any>(dp.nodes.map((n: any) => [n.name, n]));
  const ctx: StaticContext = {
    inputs: dp.inputs,
    nodeProperties: (n) => byName.get(n)?.properties,
    strict: true,
  };
  // Inputs may themselves hold functions (defaults); resolve them first.
  for (const k of Object.keys(dp.inputs))
    dp.inputs[k] = evaluateStatic(dp.inputs[k], { ...ctx, inputs: dp.inputs }, {});
  const evalOps = (ops: Record<string, any>, scope: Record<string, string>) => {
    for (const op of Object.values(ops)) {
      if (!op?.inputs) continue;
      op.inputs = evalInputs(op.inputs, ctx, scope);
      op.has_intrinsic_functions = containsFunction(op.inputs, RUNTIME_FUNCTIONS);
    }
  };
  // Properties first, node by node, against the original values (get_property evaluates lazily).
  const props = new Map<string, any>();
  for (const n of dp.nodes) props.set(n.name, evaluateStatic(n.properties, ctx, { self: n.name }));
  for (const n of dp.nodes) n.properties = props.get(n.name);
  for (const n of dp.nodes) {
    evalOps(n.operations, { self: n.name });
    for (const iface of Object.values(n.interfaces ?? {}) as any[]) {
      for (const op of Object.values(iface) as any[])
        if (op?.inputs) op.inputs = evalInputs(op.inputs, ctx, { self: n.name });
    }
    n.capabilities = evaluateStatic(n.capabilities, ctx, { self: n.name });
    for (const r of n.relationships) {
      r.properties = evaluateStatic(r.properties, ctx, { self: n.name });
      for (const k of ['source_interfaces', 'target_interfaces']) {
        for (const iface of Object.values(r[k] ?? {}) as any[]) {
          for (const op of Object.values(iface ?? {}) as any[])
            if (op?.inputs) op.inputs = evalInputs(op.inputs, ctx, { source: n.name, target: r.target_id });
        }
      }
      evalOps(r.source_operations, { source: n.name, target: r.target_id });
      evalOps(r.target_operations, { source: n.name, target: r.target_id });
    }
  }
  for (const k of ['outputs', 'capabilities', 'policies', 'scaling_groups', 'deployment_settings']) {
    if (dp[k]) dp[k] = evaluateStatic(dp[k], ctx, {});
  }
  // Per label: a label key may itself be a function name (`get_attribute: {values: [...]}`).
  if (dp.labels) {
    dp.labels = Object.fromEntries(
      Object.entries(dp.labels as Record<string, any>).map(([k, l]) => [
        k,
        l && typeof l === 'object' && 'values' in l ? { ...l, values: evaluateStatic(l.values, ctx, {}) } : l,
      ]),
    );
  }
}
