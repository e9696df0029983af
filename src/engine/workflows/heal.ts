// heal (auto_heal_reinstall_node_subgraph, Cloudify 5.1.2): the failing instance's host and
// everything contained in it are reinstalled: the uninstall of all of them (ignore_failure by
// default) with intact neighbours unlinking, then their install with intact neighbours
// re-establishing (two graphs run one after the other in Cloudify, reinstall_node_instances).
import { WorkflowParameterError } from '../failures.js';
import type { PlanNodeInstance } from '../plan-types.js';
import { CONTAINED_IN, type WorkflowContext } from './context.js';
import { installInstances, uninstallInstances } from './lifecycle-order.js';

/** The instance plus every instance contained in it, transitively. */
export function containedSubgraph(ctx: WorkflowContext, root: PlanNodeInstance): PlanNodeInstance[] {
  const out = [root];
  const seen = new Set([root.id]);
  for (let i = 0; i < out.length; i++) {
    for (const inst of ctx.instances.values()) {
      if (seen.has(inst.id)) continue;
      const inside = (inst.relationships ?? []).some(
        (r) => r.target_id === out[i].id && ctx.relTypes(inst, r).includes(CONTAINED_IN),
      );
      if (inside) {
        seen.add(inst.id);
        out.push(inst);
      }
    }
  }
  return out;
}

export function buildHeal(ctx: WorkflowContext): void {
  const p = ctx.params;
  ctx.b.log('info', `Starting 'heal' workflow on ${p.node_instance_id}, Diagnosis: ${p.diagnose_value}`);
  const failing = ctx.instances.get(p.node_instance_id as string);
  if (!failing) throw new WorkflowParameterError(`Node instance ${p.node_instance_id} does not exist`);
  const host = (failing.host_id && ctx.instances.get(failing.host_id)) || failing;
  const targets = containedSubgraph(ctx, host);
  const ids = new Set(targets.map((i) => i.id));
  const intact = [...ctx.instances.values()].filter((i) => !ids.has(i.id));
  uninstallInstances(ctx, targets, intact, {
    ignoreFailure: p.ignore_failure !== false,
    prefix: 'heal_',
  });
  // the install half starts once the whole uninstall graph is done, from clean instances
  const downOps = ctx.b.build().operations;
  const waited = new Set(downOps.flatMap((o) => o.dependencies));
  const ends = downOps.filter((o) => !waited.has(o.id)).map((o) => o.id);
  const fresh = targets.map((i) => ({ ...i, state: 'uninitialized' }));
  const up = installInstances(ctx, fresh, intact, 'heal_');
  for (const g of up.values()) ctx.b.depend(g.whole, { roots: ends, sinks: ends });
}
