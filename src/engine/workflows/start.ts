// start = execute_operation of cloudify.interfaces.lifecycle.start, kwargs override allowed.
import { LIFECYCLE, type WorkflowContext } from './context.js';
import { addExecuteOperation } from './execute-operation.js';

export function buildStart(ctx: WorkflowContext, parms = ctx.params.operation_parms, prefix = '') {
  return addExecuteOperation(ctx, {
    operation: `${LIFECYCLE}.start`,
    operation_kwargs: (parms as Record<string, unknown>) ?? {},
    allow_kwargs_override: true,
    run_by_dependency_order: ctx.params.run_by_dependency_order === true,
    selected: ctx.filterInstances(ctx.params),
    missingIsNop: true,
    prefix,
  });
}
