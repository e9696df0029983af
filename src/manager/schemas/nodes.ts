// Nodes and node instances (rest-api.md §1.6, §3.3): response bodies (every field optional, so
// _include can project), the worker's bulk inserts and the node-instance PATCH.
import { Type } from 'typebox';
import { Any, Bool, commonProps, Flag, Int, NStr, resource, Str } from './common.js';

export const NodeBody = resource({
  ...commonProps,
  deployment_id: Str,
  blueprint_id: Str,
  type: Str,
  type_hierarchy: Any,
  properties: Any,
  operations: Any,
  relationships: Any,
  plugins: Any,
  plugins_to_install: Any,
  host_id: NStr,
  number_of_instances: Int,
  planned_number_of_instances: Int,
  deploy_number_of_instances: Int,
  min_number_of_instances: Int,
  max_number_of_instances: Int,
  actual_number_of_instances: Int,
  actual_planned_number_of_instances: Int,
});

export const NodeInstanceBody = resource({
  ...commonProps,
  node_id: Str,
  deployment_id: Str,
  host_id: NStr,
  state: Str,
  runtime_properties: Any,
  system_properties: Any,
  relationships: Any,
  scaling_groups: Any,
  index: Type.Union([Int, Type.Null()]),
  version: Int,
  has_configuration_drift: Bool,
  is_status_check_ok: Bool,
});

const Obj = Type.Record(Type.String(), Any);

export const NodesBulk = Type.Object(
  { deployment_id: Str, nodes: Type.Array(Obj) },
  { additionalProperties: true },
);

export const InstancesBulk = Type.Object(
  { deployment_id: Str, node_instances: Type.Array(Obj) },
  { additionalProperties: true },
);

export const InstancePatchQuery = Type.Object({ force: Flag }, { additionalProperties: true });

export const InstancePatchBody = Type.Object(
  {
    version: Type.Integer(),
    state: Type.Optional(Str),
    runtime_properties: Type.Optional(Obj),
    system_properties: Type.Optional(Obj),
    relationships: Type.Optional(Type.Array(Any)),
  },
  { additionalProperties: true },
);
