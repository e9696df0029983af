// uninstall (workflows.uninstall): reverse order, optional ignore_failure.
import type { WorkflowContext } from './context.js';
import { uninstallInstances } from './lifecycle-order.js';

export function buildUninstall(ctx: WorkflowContext): void {
  const selected = ctx.filterInstances(ctx.params);
  const ids = new Set(selected.map((i) => i.id));
  const intact = [...ctx.instances.values()].filter((i) => !ids.has(i.id));
  uninstallInstances(ctx, selected, intact, { ignoreFailure: ctx.params.ignore_failure === true });
}
