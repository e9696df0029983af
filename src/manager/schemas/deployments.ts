// Deployments (rest-api.md §1.4, §3.3): the response body (every field optional, so _include can
// project), and the create/update bodies and queries.
import { Type } from 'typebox';
import { Any, Bool, commonProps, Flag, Int, listQuery, NStr, resource, Str, Visibility } from './common.js';

export const DeploymentBody = resource({
  ...commonProps,
  updated_at: NStr,
  blueprint_id: Str,
  display_name: Str,
  description: NStr,
  inputs: Any,
  outputs: Any,
  capabilities: Any,
  groups: Any,
  policy_triggers: Any,
  policy_types: Any,
  scaling_groups: Any,
  workflows: Any,
  resource_tags: Any,
  labels: Any,
  site_name: NStr,
  runtime_only_evaluation: Bool,
  installation_status: NStr,
  deployment_status: NStr,
  latest_execution_id: NStr,
  latest_execution_status: NStr,
  latest_execution_total_operations: Any,
  latest_execution_finished_operations: Any,
  sub_services_status: NStr,
  sub_environments_status: NStr,
  sub_services_count: Int,
  sub_environments_count: Int,
  environment_type: Str,
});

const Obj = Type.Record(Type.String(), Any);

/** The list query, plus `_search_name` (a substring of the display name). */
export const DeploymentListQuery = listQuery({
  _search_name: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});

export const DeploymentCreateQuery = Type.Object(
  { private_resource: Flag, async_create: Flag },
  { additionalProperties: true },
);

export const DeploymentCreateBody = Type.Object(
  {
    blueprint_id: Str,
    inputs: Type.Optional(Type.Union([Obj, Type.Null()])),
    visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
    labels: Type.Optional(Type.Union([Type.Array(Obj), Type.Null()])),
    site_name: Type.Optional(NStr),
    skip_plugins_validation: Flag,
    runtime_only_evaluation: Flag,
    display_name: Type.Optional(NStr),
  },
  { additionalProperties: true },
);

/** The attributes the worker sets after computing the plan. */
export const DeploymentPatchBody = Type.Object(
  {
    description: Type.Optional(NStr),
    workflows: Type.Optional(Any),
    inputs: Type.Optional(Obj),
    outputs: Type.Optional(Obj),
    capabilities: Type.Optional(Obj),
    scaling_groups: Type.Optional(Obj),
    groups: Type.Optional(Obj),
    policy_types: Type.Optional(Obj),
    policy_triggers: Type.Optional(Obj),
    resource_tags: Type.Optional(Type.Union([Obj, Type.Null()])),
    display_name: Type.Optional(NStr),
    labels: Type.Optional(Type.Array(Obj)),
  },
  { additionalProperties: true },
);

export const DeploymentDeleteQuery = Type.Object(
  { force: Flag, delete_logs: Flag, recursive: Flag },
  { additionalProperties: true },
);

/** GET /deployments/{id}/outputs and /capabilities. */
export const DeploymentSection = (kind: 'outputs' | 'capabilities') =>
  Type.Object({ deployment_id: Str, [kind]: Any });
