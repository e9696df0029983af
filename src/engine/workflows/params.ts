// Built-in workflow parameters (manager types.yaml) with their defaults, checked in one place.
// The REST layer may reuse BUILTIN_WORKFLOW_PARAMETERS to fill the execution's parameters.

import { WorkflowParameterError } from '../failures.js';

export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'dict';

export interface ParamSpec {
  type: ParamType;
  default?: unknown;
  /** no default: the caller must pass it */
  required?: boolean;
  /** null is accepted as "not given" */
  nullable?: boolean;
}

const filters = {
  type_names: { type: 'list', default: [] },
  node_ids: { type: 'list', default: [] },
  node_instance_ids: { type: 'list', default: [] },
} satisfies Record<string, ParamSpec>;

const byOrder = { run_by_dependency_order: { type: 'boolean', default: false } } satisfies Record<
  string,
  ParamSpec
>;

export const BUILTIN_WORKFLOW_PARAMETERS: Record<string, Record<string, ParamSpec>> = {
  create_deployment_environment: {
    skip_plugins_validation: { type: 'boolean', default: false },
  },
  delete_deployment_environment: {
    delete_logs: { type: 'boolean', default: true },
  },
  install: { ...filters },
  uninstall: { ignore_failure: { type: 'boolean', default: false }, ...filters },
  reinstall: { ignore_failure: { type: 'boolean', default: false }, ...filters },
  start: { operation_parms: { type: 'dict', default: {} }, ...byOrder, ...filters },
  stop: { operation_parms: { type: 'dict', default: {} }, ...byOrder, ...filters },
  restart: {
    stop_parms: { type: 'dict', default: {} },
    start_parms: { type: 'dict', default: {} },
    ...byOrder,
    ...filters,
  },
  execute_operation: {
    operation: { type: 'string', required: true },
    operation_kwargs: { type: 'dict', default: {} },
    allow_kwargs_override: { type: 'boolean', default: null, nullable: true },
    ...byOrder,
    ...filters,
  },
  heal: {
    node_instance_id: { type: 'string', required: true },
    diagnose_value: { type: 'string', default: 'Not provided' },
    ignore_failure: { type: 'boolean', default: true },
    check_status: { type: 'boolean', default: true },
    allow_reinstall: { type: 'boolean', default: true },
    force_reinstall: { type: 'boolean', default: false },
  },
  scale: {
    scalable_entity_name: { type: 'string', required: true },
    delta: { type: 'integer', default: 1 },
    scale_compute: { type: 'boolean', default: false },
    ignore_failure: { type: 'boolean', default: false },
    include_instances: { type: 'list', default: null, nullable: true },
    exclude_instances: { type: 'list', default: null, nullable: true },
    rollback_if_failed: { type: 'boolean', default: true },
    abort_started: { type: 'boolean', default: false },
  },
  // the parameters the deployment update manager passes (5.1.2 workflows.py `update`)
  update: {
    update_id: { type: 'string', required: true },
    added_instance_ids: { type: 'list', default: [] },
    added_target_instances_ids: { type: 'list', default: [] },
    removed_instance_ids: { type: 'list', default: [] },
    remove_target_instance_ids: { type: 'list', default: [] },
    modified_entity_ids: { type: 'dict', default: {} },
    extended_instance_ids: { type: 'list', default: [] },
    extend_target_instance_ids: { type: 'list', default: [] },
    reduced_instance_ids: { type: 'list', default: [] },
    reduce_target_instance_ids: { type: 'list', default: [] },
    skip_install: { type: 'boolean', default: false },
    skip_uninstall: { type: 'boolean', default: false },
    ignore_failure: { type: 'boolean', default: false },
    install_first: { type: 'boolean', default: false },
    node_instances_to_reinstall: { type: 'list', default: null, nullable: true },
    central_plugins_to_install: { type: 'list', default: null, nullable: true },
    central_plugins_to_uninstall: { type: 'list', default: null, nullable: true },
    update_plugins: { type: 'boolean', default: true },
    // Stratus: relationships between kept instances that the update adds or removes
    established_relationships: { type: 'list', default: [] },
    unlinked_relationships: { type: 'list', default: [] },
  },
};

const typeOk = (t: ParamType, v: unknown): boolean => {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
  }
};

/**
 * Fill defaults and check types. Integers given as digit strings ("-1") are accepted, as
 * Cloudify's CLI sends them; everything else of the wrong type is a WorkflowParameterError.
 * Parameters the workflow does not declare are passed through (the REST layer decides on
 * allow_custom_parameters).
 */
export function resolveParameters(workflowId: string, given: Record<string, unknown> = {}) {
  const specs = BUILTIN_WORKFLOW_PARAMETERS[workflowId];
  if (!specs) throw new WorkflowParameterError(`Workflow ${workflowId} is not a built-in workflow`);
  const out: Record<string, unknown> = { ...given };
  for (const [name, spec] of Object.entries(specs)) {
    let v = given[name];
    if (v === undefined) {
      if (spec.required) {
        throw new WorkflowParameterError(`Workflow ${workflowId}: missing mandatory parameter '${name}'`);
      }
      out[name] = structuredClone(spec.default);
      continue;
    }
    if (v === null && spec.nullable) continue;
    if (spec.type === 'integer' && typeof v === 'string' && /^-?\d+$/.test(v)) v = Number(v);
    if (spec.type === 'boolean' && (v === 'true' || v === 'false')) v = v === 'true';
    if (!typeOk(spec.type, v)) {
      throw new WorkflowParameterError(
        `Workflow ${workflowId}: parameter '${name}' must be of type ${spec.type} (got ${JSON.stringify(v)})`,
      );
    }
    if (spec.type === 'list' && ['type_names', 'node_ids', 'node_instance_ids'].includes(name)) {
      if (!(v as unknown[]).every((x) => typeof x === 'string')) {
        throw new WorkflowParameterError(
          `Workflow ${workflowId}: parameter '${name}' must be a list of strings`,
        );
      }
    }
    out[name] = v;
  }
  return out;
}
