// create_deployment_environment: manager-side steps only, carried out by the worker through
// its store ports (LocalWorkflowTask.local_task names are the contract, see docs/engine.md).
import type { WorkflowContext } from './context.js';

export function buildCreateDeploymentEnvironment(ctx: WorkflowContext): void {
  const plugins = ctx.input.plan.deployment_plugins_to_install ?? [];
  const sub = 'create_deployment_environment';
  ctx.b.sequence([
    plugins.length
      ? ctx.local(
          'deployment_environment.install_plugins',
          { plugins, skip_plugins_validation: ctx.params.skip_plugins_validation },
          sub,
        )
      : ctx.b.forkjoin([]),
    ctx.local('deployment_environment.create_workdir', { deployment_id: ctx.input.deploymentId }, sub),
  ]);
}
