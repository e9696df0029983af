// The engine's public surface for the worker and the REST layer.
export * from './events.js';
export * from './execution-state.js';
export * from './failures.js';
export * from './graph.js';
export type * from './plan-types.js';
export * from './ports.js';
export * from './retry-policy.js';
export * from './states.js';
export * from './step.js';
export type { ScaleModification, WorkflowInput } from './workflows/context.js';
export { BUILTIN_WORKFLOW_PARAMETERS, resolveParameters } from './workflows/params.js';
export type { ParamSpec, ParamType } from './workflows/params.js';
export type { ScalePlan } from './workflows/scale.js';
export {
  BUILTIN_WORKFLOWS,
  buildWorkflowGraph,
  isBuiltinWorkflow,
  planScaleModification,
} from './workflows/index.js';
export * from './deployment-update-steps.js';
