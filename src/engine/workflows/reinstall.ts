// reinstall: per instance `reinstall_<id>` = event, uninstall subgraph, install subgraph; the
// whole per-instance subgraphs are ordered like install (§3.5).
import type { Fragment } from '../graph.js';
import type { PlanNodeInstance } from '../plan-types.js';
import type { WorkflowContext } from './context.js';
import { installInstance, uninstallInstance } from './lifecycle.js';

export function buildReinstall(ctx: WorkflowContext): void {
  const selected = ctx.filterInstances(ctx.params);
  const ignore = ctx.params.ignore_failure === true;
  const whole = new Map<string, Fragment>();
  for (const inst of selected) {
    const sub = `reinstall_${inst.id}`;
    const down = uninstallInstance(ctx, inst, sub, ignore).whole;
    // the install half starts from a clean instance, whatever its stored state was
    const fresh: PlanNodeInstance = { ...inst, state: 'uninitialized' };
    const up = installInstance(ctx, fresh, sub).whole;
    whole.set(inst.id, ctx.b.sequence([ctx.event(inst, 'Reinstalling node instance', sub), down, up]));
  }
  for (const inst of selected) {
    for (const rel of inst.relationships ?? []) {
      const t = whole.get(rel.target_id);
      if (t) ctx.b.depend(whole.get(inst.id)!, t);
    }
  }
}
