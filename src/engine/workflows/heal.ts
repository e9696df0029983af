// heal (§3.5, auto_heal_reinstall_node_subgraph): the failing instance's host and everything
// contained in it are healed. Instances whose node implements lifecycle.heal run
// preheal → heal → postheal (unless force_reinstall); the others are reinstalled: uninstall of
// all of them (ignore_failure by default), then install, with intact neighbours unlinked and
// re-established.
import { WorkflowParameterError } from '../failures.js';
import type { Fragment } from '../graph.js';
import type { PlanNodeInstance } from '../plan-types.js';
import { CONTAINED_IN, hasImpl, LIFECYCLE, type WorkflowContext } from './context.js';
import { installInstances, uninstallInstances } from './lifecycle.js';

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
  const failing = ctx.instances.get(p.node_instance_id as string);
  if (!failing) throw new WorkflowParameterError(`Node instance ${p.node_instance_id} does not exist`);
  const host = (failing.host_id && ctx.instances.get(failing.host_id)) || failing;
  const targets = containedSubgraph(ctx, host);
  const healable = (i: PlanNodeInstance) =>
    !p.force_reinstall && hasImpl(ctx.node(i).operations?.[`${LIFECYCLE}.heal`]);
  const toHeal = targets.filter(healable);
  const toReinstall = targets.filter((i) => !healable(i));
  if (toReinstall.length && p.allow_reinstall === false) {
    throw new WorkflowParameterError(
      `Cannot heal ${toReinstall.map((i) => i.id).join(', ')}: no heal operation and allow_reinstall is false`,
    );
  }
  const healed: Fragment[] = toHeal.map((inst) => {
    const sub = `heal_${inst.id}`;
    return ctx.b.sequence([
      ctx.event(inst, `Healing node instance (diagnosis: ${p.diagnose_value})`, sub),
      ctx.lifecycle(inst, `${LIFECYCLE}.preheal`, sub),
      ctx.lifecycle(inst, `${LIFECYCLE}.heal`, sub),
      ctx.lifecycle(inst, `${LIFECYCLE}.postheal`, sub),
    ]);
  });
  if (!toReinstall.length) return;
  const ids = new Set(toReinstall.map((i) => i.id));
  const intact = [...ctx.instances.values()].filter((i) => !ids.has(i.id));
  const down = uninstallInstances(ctx, toReinstall, intact, {
    ignoreFailure: p.ignore_failure !== false,
    prefix: 'heal_',
  });
  // install starts from clean instances, after the whole uninstall (two graphs in Cloudify)
  const fresh = toReinstall.map((i) => ({ ...i, state: 'uninitialized' }));
  const downAll = ctx.b.forkjoin([...down.values()].map((g) => g.whole));
  const before = ctx.b.forkjoin([downAll, ...healed]);
  const up = installInstances(ctx, fresh, intact, 'heal_');
  for (const g of up.values()) ctx.b.depend(g.whole, before);
}
