// execute_operation (§3.5): per filtered instance event → op → event; optional install-like order.
import { WorkflowParameterError } from '../failures.js';
import { EMPTY, type Fragment } from '../graph.js';
import type { PlanNodeInstance } from '../plan-types.js';
import type { WorkflowContext } from './context.js';
import { targetsOf, viaIntact } from './lifecycle-order.js';

export interface ExecuteOperationArgs {
  operation: string;
  operation_kwargs: Record<string, unknown>;
  allow_kwargs_override: boolean | null;
  run_by_dependency_order: boolean;
  selected: PlanNodeInstance[];
  /** start/stop use lifecycle ops that types.yaml always declares: a missing one is a no-op there */
  missingIsNop?: boolean;
  prefix?: string;
}

/** A value as Python's repr() shows it: Cloudify puts the operation kwargs in its start text so. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      .replace(new RegExp(q, 'g'), `\\${q}`);
    return `${q}${body}${q}`;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

/** Adds the operations and returns the per-instance fragments. */
export function addExecuteOperation(ctx: WorkflowContext, a: ExecuteOperationArgs): Map<string, Fragment> {
  const out = new Map<string, Fragment>();
  for (const inst of a.selected) {
    const node = ctx.node(inst);
    const op = node.operations?.[a.operation];
    if (!op) {
      if (a.missingIsNop) continue;
      throw new WorkflowParameterError(`${a.operation} operation of node instance ${inst.id} does not exist`);
    }
    const declared = op.inputs ?? {};
    if (!a.allow_kwargs_override) {
      for (const k of Object.keys(a.operation_kwargs)) {
        if (k in declared) {
          throw new WorkflowParameterError(
            `Duplicate definition of ${k} in operation properties and in kwargs. To allow redefinition, ` +
              'pass "allow_kwargs_override" to "execute_operation"',
          );
        }
      }
    }
    const sub = `${a.prefix ?? ''}${inst.id}`;
    const params = Object.keys(a.operation_kwargs).length
      ? ` (Operation parameters: ${pyRepr(a.operation_kwargs)})`
      : '';
    const inputs = { ...declared, ...a.operation_kwargs };
    const task = ctx.remote(inst, a.operation, op, sub, { inputs });
    out.set(
      inst.id,
      ctx.b.sequence([
        ctx.event(inst, `Starting operation ${a.operation}${params}`, sub),
        task,
        ctx.event(inst, `Finished operation ${a.operation}`, sub),
      ]),
    );
  }
  if (a.run_by_dependency_order) {
    const graphs = new Map([...out].map(([id, whole]) => [id, { whole }]));
    for (const inst of a.selected) {
      const mine = out.get(inst.id);
      if (!mine) continue;
      for (const rel of inst.relationships ?? []) {
        const t = out.get(rel.target_id);
        if (t) ctx.b.depend(mine, t);
      }
    }
    // the instances left out get (empty) stubs in Cloudify, which order through them too
    const stubs = new Map([...ctx.instances.keys()].filter((id) => !out.has(id)).map((id) => [id, EMPTY]));
    const through = viaIntact(graphs, stubs, targetsOf(ctx));
    for (const [id, whole] of out) ctx.b.depend(whole, through(id));
  }
  return out;
}

export function buildExecuteOperation(ctx: WorkflowContext): void {
  const p = ctx.params;
  addExecuteOperation(ctx, {
    operation: p.operation as string,
    operation_kwargs: p.operation_kwargs as Record<string, unknown>,
    allow_kwargs_override: (p.allow_kwargs_override as boolean | null) ?? null,
    run_by_dependency_order: p.run_by_dependency_order as boolean,
    selected: ctx.filterInstances(p),
  });
}
