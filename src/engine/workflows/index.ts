// The built-in workflows by id: parameters are resolved and checked, then the graph is built.
import type { TasksGraph } from '../graph.js';
import { type WorkflowInput, WorkflowContext } from './context.js';
import { buildCreateDeploymentEnvironment } from './create-deployment-environment.js';
import { buildDeleteDeploymentEnvironment } from './delete-deployment-environment.js';
import { buildExecuteOperation } from './execute-operation.js';
import { buildHeal } from './heal.js';
import { buildInstall } from './install.js';
import { buildReinstall } from './reinstall.js';
import { buildRestart } from './restart.js';
import { planScale, buildScale, type ScalePlan } from './scale.js';
import { buildStart } from './start.js';
import { buildStop } from './stop.js';
import { buildUninstall } from './uninstall.js';
import { buildUpdate } from './update.js';
import { resolveParameters } from './params.js';
import { WorkflowParameterError } from '../failures.js';

const BUILDERS: Record<string, (ctx: WorkflowContext) => unknown> = {
  create_deployment_environment: buildCreateDeploymentEnvironment,
  delete_deployment_environment: buildDeleteDeploymentEnvironment,
  install: buildInstall,
  uninstall: buildUninstall,
  reinstall: buildReinstall,
  start: buildStart,
  stop: buildStop,
  restart: buildRestart,
  execute_operation: buildExecuteOperation,
  heal: buildHeal,
  scale: buildScale,
  update: buildUpdate,
};

export const BUILTIN_WORKFLOWS = Object.keys(BUILDERS);

export const isBuiltinWorkflow = (id: string) => Object.hasOwn(BUILDERS, id);

/**
 * Build the task graph of a built-in workflow. Throws WorkflowParameterError for bad
 * parameters, unknown nodes/instances/operations, before anything is stored or run.
 */
export function buildWorkflowGraph(input: WorkflowInput): TasksGraph {
  const build = BUILDERS[input.workflowId];
  if (!build) throw new WorkflowParameterError(`Workflow ${input.workflowId} is not a built-in workflow`);
  const params = resolveParameters(input.workflowId, input.parameters);
  const ctx = new WorkflowContext(input, input.workflowId, params);
  build(ctx);
  return ctx.b.build();
}

/** scale, step 1: what deployment modification to start (see scale.ts). */
export function planScaleModification(input: WorkflowInput): ScalePlan {
  const params = resolveParameters('scale', input.parameters);
  return planScale(new WorkflowContext(input, 'scale', params));
}
