// Which roles hold which permission (rest-api.md §2.4). A user's effective roles are their system role
// plus their role in the request's tenant. The bootstrap admin and sys_admin hold every permission.

export const SYSTEM_ROLES = ['sys_admin', 'default'] as const;
export const TENANT_ROLES = ['manager', 'user', 'operations', 'viewer'] as const;
export type RoleName = (typeof SYSTEM_ROLES)[number] | (typeof TENANT_ROLES)[number];

const TENANT_READ: RoleName[] = ['sys_admin', 'manager', 'user', 'operations', 'viewer'];
const ANY: RoleName[] = [...TENANT_READ, 'default'];
const TOKEN_HOLDERS: RoleName[] = ['sys_admin', 'manager', 'user', 'viewer', 'default'];
const OPERATORS: RoleName[] = ['sys_admin', 'manager', 'user', 'operations'];
const AUTHORS: RoleName[] = ['sys_admin', 'manager', 'user'];
const ADMINS: RoleName[] = ['sys_admin'];

const grant = (roles: RoleName[], names: string[]) => names.map((n) => [n, roles] as const);

export const PERMISSIONS: ReadonlyMap<string, readonly RoleName[]> = new Map([
  ...grant(ANY, [
    'status_get',
    'version_get',
    'tenant_list',
    'user_get_self',
    'broker_get',
    'db_nodes_get',
    'license_list',
    'manager_config_get',
    'maintenance_mode_get',
    'provider_context_get',
    'provider_context_create',
  ]),
  ...grant(TOKEN_HOLDERS, ['create_token', 'list_token', 'delete_token', 'token_get']),
  ...grant(TENANT_READ, [
    'blueprint_list',
    'blueprint_get',
    'blueprint_download',
    'deployment_list',
    'deployment_get',
    'execution_list',
    'execution_get',
    'node_list',
    'node_instance_list',
    'node_instance_get',
    'event_list',
    'plugin_list',
    'plugin_get',
    'secret_list',
    'secret_get',
    'manager_get',
    'cluster_status_get',
    'deployment_capabilities',
    'deployment_modification_outputs',
    'operations',
    'execution_should_start',
    'site_get',
    'site_list',
    'agent_list',
    'agent_get',
    'deployment_update_get',
    'deployment_update_list',
  ]),
  ...grant(OPERATORS, [
    'deployment_create',
    'deployment_delete',
    'deployment_update',
    'deployment_update_create',
    'execution_start',
    'execution_cancel',
    'execution_status_update',
    'event_create',
    'node_instance_update',
    'functions_evaluate',
    'tenant_get',
  ]),
  ...grant(AUTHORS, [
    'blueprint_upload',
    'blueprint_delete',
    'plugin_upload',
    'plugin_delete',
    'secret_create',
    'secret_update',
    'secret_delete',
    'resource_set_visibility',
    'site_create',
    'site_update',
    'site_delete',
  ]),
  ...grant(['sys_admin', 'manager'], ['manager_config_put']),
  ...grant(ADMINS, [
    'user_list',
    'user_get',
    'user_create',
    'user_update',
    'user_unlock',
    'tenant_create',
    'tenant_delete',
    'tenant_add_user',
    'license_upload',
    'manager_manage',
    'broker_manage',
    'broker_credentials',
    'all_tenants',
    'create_global_resource',
    'manage_others_tokens',
    'maintenance_mode_set',
    'snapshot_list',
    'snapshot_get',
    'snapshot_create',
    'snapshot_delete',
    'snapshot_status_update',
    'snapshot_upload',
    'snapshot_download',
    'snapshot_restore',
  ]),
]);

export function hasPermission(roles: readonly string[], permission: string): boolean {
  if (roles.includes('sys_admin')) return true;
  const allowed = PERMISSIONS.get(permission);
  if (!allowed) throw new Error(`unknown permission ${permission}`);
  return roles.some((r) => allowed.includes(r as RoleName));
}
