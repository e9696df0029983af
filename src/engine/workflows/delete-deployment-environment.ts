// delete_deployment_environment: the REST layer deletes the deployment rows when this
// execution ends `terminated`; the graph only cleans up what the worker owns.
import type { WorkflowContext } from './context.js';

export function buildDeleteDeploymentEnvironment(ctx: WorkflowContext): void {
  const plugins = ctx.input.plan.deployment_plugins_to_install ?? [];
  const sub = 'delete_deployment_environment';
  const id = ctx.input.deploymentId;
  ctx.b.sequence([
    plugins.length
      ? ctx.local('deployment_environment.uninstall_plugins', { plugins }, sub)
      : ctx.b.forkjoin([]),
    ctx.local('deployment_environment.delete_workdir', { deployment_id: id }, sub),
    ctx.params.delete_logs
      ? ctx.local('deployment_environment.delete_logs', { deployment_id: id }, sub)
      : ctx.b.forkjoin([]),
  ]);
}
