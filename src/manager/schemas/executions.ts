// Response body of executions (rest-api.md §3.3): every field optional, so _include can project.
import { Any, Bool, commonProps, Int, NStr, resource, Str } from './common.js';

export const ExecutionBody = resource({
  ...commonProps,
  workflow_id: Str,
  blueprint_id: NStr,
  deployment_id: NStr,
  deployment_display_name: NStr,
  status: Str,
  status_display: Str,
  error: Str,
  parameters: Any,
  is_system_workflow: Bool,
  is_dry_run: Bool,
  allow_custom_parameters: Bool,
  started_at: NStr,
  ended_at: NStr,
  scheduled_for: NStr,
  resume: Bool,
  total_operations: Int,
  finished_operations: Int,
  execution_group_id: NStr,
});
