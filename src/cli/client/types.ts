// The shapes the manager answers with (rest-api.md §1, §3). Only the fields the CLI reads are typed;
// the rest pass through untouched for --json.

/** An execution's status as the REST API reports it (the CLI imports nothing from the server). */
export type ExecutionStatus =
  | 'pending'
  | 'started'
  | 'cancelling'
  | 'force_cancelling'
  | 'kill_cancelling'
  | 'terminated'
  | 'failed'
  | 'cancelled'
  | 'queued'
  | 'scheduled';

export interface Pagination {
  total: number;
  size: number;
  offset: number;
}

export interface ListResponse<T> {
  items: T[];
  metadata: { pagination: Pagination; filtered?: number | null };
}

export type Visibility = 'private' | 'tenant' | 'global';

interface Resource {
  id: string;
  visibility?: Visibility;
  tenant_name?: string;
  created_by?: string;
  created_at?: string;
  [k: string]: unknown;
}

export interface Blueprint extends Resource {
  description?: string | null;
  main_file_name?: string;
  updated_at?: string;
  state?: string;
  error?: string | null;
  plan?: { inputs?: Record<string, { description?: string; type?: string; default?: unknown }> } & Record<
    string,
    unknown
  >;
}

export interface Deployment extends Resource {
  blueprint_id: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, { description?: string; value?: unknown }>;
  capabilities?: Record<string, { description?: string; value?: unknown }>;
  site_name?: string | null;
  workflows?: { name: string; parameters?: Record<string, unknown> }[];
}

export const END_STATES: ReadonlySet<string> = new Set(['terminated', 'failed', 'cancelled']);

export interface Execution extends Resource {
  workflow_id: string;
  deployment_id: string | null;
  blueprint_id?: string | null;
  status: ExecutionStatus;
  status_display?: string;
  error?: string;
  parameters?: Record<string, unknown>;
  is_dry_run?: boolean;
  is_system_workflow?: boolean;
  started_at?: string | null;
  ended_at?: string | null;
  scheduled_for?: string | null;
  total_operations?: number | null;
  finished_operations?: number | null;
}

export interface CloudifyEvent {
  timestamp?: string;
  reported_timestamp?: string;
  '@timestamp'?: string;
  type: 'cloudify_event' | 'cloudify_log' | string;
  event_type?: string;
  level?: string;
  message: string | { text?: string };
  deployment_id?: string | null;
  execution_id?: string;
  node_instance_id?: string | null;
  node_name?: string | null;
  operation?: string | null;
  source_id?: string | null;
  target_id?: string | null;
  error_causes?: { message?: string; traceback?: string; type?: string }[] | null;
  context?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface CloudifyNode extends Resource {
  deployment_id: string;
  blueprint_id?: string;
  type?: string;
  number_of_instances?: number;
  planned_number_of_instances?: number;
  deploy_number_of_instances?: number;
  actual_number_of_instances?: number;
  actual_planned_number_of_instances?: number;
  host_id?: string | null;
  properties?: Record<string, unknown>;
}

export interface NodeInstance extends Resource {
  deployment_id: string;
  node_id: string;
  host_id?: string | null;
  state: string;
  version: number;
  runtime_properties?: Record<string, unknown>;
}

export interface Plugin {
  id: string;
  package_name: string;
  package_version: string;
  archive_name?: string;
  distribution?: string | null;
  distribution_release?: string | null;
  uploaded_at?: string;
  visibility?: Visibility;
  tenant_name?: string;
  created_by?: string;
  yaml_url_path?: string;
  file_server_path?: string;
  installation_state?: { state: string; manager?: string | null; agent?: string | null }[];
  [k: string]: unknown;
}

export interface Secret {
  key: string;
  value?: string;
  is_hidden_value?: boolean;
  visibility?: Visibility;
  tenant_name?: string;
  created_by?: string;
  created_at?: string;
  updated_at?: string;
  [k: string]: unknown;
}

export interface User {
  username: string;
  role?: string;
  active?: boolean;
  is_locked?: boolean;
  groups?: string[];
  group_system_roles?: Record<string, unknown>;
  last_login_at?: string | null;
  tenants?: Record<string, unknown> | number;
  [k: string]: unknown;
}

export interface Tenant {
  name: string;
  users?: Record<string, unknown> | number;
  groups?: Record<string, unknown> | number;
  [k: string]: unknown;
}

export interface ManagerNode {
  hostname: string;
  private_ip?: string;
  public_ip?: string | null;
  version?: string;
  edition?: string;
  distribution?: string;
  distro_release?: string;
  last_seen?: string;
  networks?: Record<string, string>;
  [k: string]: unknown;
}

export interface BrokerNode {
  name: string;
  host?: string;
  port?: number;
  networks?: Record<string, string>;
  is_external?: boolean;
  [k: string]: unknown;
}

export interface DbNode {
  name: string;
  host?: string;
  is_external?: boolean;
  [k: string]: unknown;
}

export interface ServiceStatus {
  status: string;
  is_remote?: boolean;
  extra_info?: Record<string, unknown>;
}

export interface ManagerStatus {
  status: string;
  services: Record<string, ServiceStatus>;
}

export interface ClusterStatus {
  status: 'OK' | 'Degraded' | 'Fail' | string;
  services: Record<string, { status: string; is_external?: boolean; nodes?: Record<string, unknown> }>;
}

export interface ListParams {
  sort?: string;
  descending?: boolean;
  search?: string;
  offset?: number;
  size?: number;
  allTenants?: boolean;
  filters?: Record<string, string | undefined>;
  include?: string[];
}

export interface MaintenanceState {
  status: 'deactivated' | 'activating' | 'activated';
  activated_at?: string | null;
  activation_requested_at?: string | null;
  requested_by?: string | null;
  remaining_executions?:
    | { id: string; deployment_id: string | null; workflow_id: string; status: string }[]
    | null;
}

export interface Site {
  name: string;
  location: string | null;
  visibility: string;
  tenant_name?: string;
  created_at?: string;
  created_by?: string;
}

export interface SiteChange {
  location?: string;
  visibility?: Visibility;
  new_name?: string;
}

export interface ConfigEntry {
  name: string;
  scope: string;
  value: unknown;
  updated_at: string | null;
  is_editable: boolean;
}
