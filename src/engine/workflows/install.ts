// install (workflows.install): filtered instances are installed, the rest stay intact.
import type { WorkflowContext } from './context.js';
import { installInstances } from './lifecycle-order.js';

export function buildInstall(ctx: WorkflowContext): void {
  const selected = ctx.filterInstances(ctx.params);
  const ids = new Set(selected.map((i) => i.id));
  const intact = [...ctx.instances.values()].filter((i) => !ids.has(i.id));
  installInstances(ctx, selected, intact);
}
