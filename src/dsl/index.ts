// Public API of the blueprint language (Cloudify DSL cloudify_dsl_1_0 … 1_5). Pure: imports are read
// through an ImportResolver port; no network, no database.
//
//   parseBlueprint({ mainFile, resolver, … }): Plan            — throws DslError
//   prepareDeploymentPlan(plan, inputs, { idGenerator, … })    — plan + final inputs + node_instances
//   modifyDeployment(…)                                          — scale out / in
//   evaluateRuntimeFunctions(value, ctx: RuntimeContext, scope)  — get_attribute, get_secret, …
//
// The file-system adapter is kept out of this module so it stays free of node:fs: import
// `parseBlueprintDir` / `fsImportResolver` from '../dsl-fs/resolver.js'.
export { BUILTIN_TYPES_YAML, withBuiltinTypes } from './builtin-types.js';
export {
  createDeploymentPlan,
  type DeploymentOptions,
  type DeploymentPlan,
  prepareDeploymentPlan,
} from './deployment.js';
export { DslError, type DslErrorClass } from './errors.js';
export { FUNCTION_NAMES, RUNTIME_FUNCTIONS, STATIC_FUNCTIONS } from './functions.js';
export { type IdGenerator, type NodeInstance, randomIds } from './instances.js';
export { type ParseOptions, type Plan, parseBlueprint } from './parser.js';
export {
  applyUrlRules,
  BUILTIN_SPEC_RULES,
  type BlueprintImportResolver,
  type ImportResolver,
  type PluginImportResolver,
  type UrlRule,
} from './resolver.js';
export { YAML_LIMITS } from './yaml-load.js';
export {
  type Modification,
  type ModifyResult,
  modifyDeployment,
  modifyStored,
  type StoredInstance,
} from './modify.js';
export { evaluateRuntimeFunctions, type RuntimeContext, type RuntimeNodeInstance } from './runtime.js';
