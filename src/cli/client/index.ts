// A typed REST client for the manager's API v3.1, usable without a terminal. Each method is one call
// of the official Python client (dsl-and-workflows.md §5.2); the CLI commands only format results.
import type { QueryValue, RequestSpec } from './http.js';
import { multipart } from './multipart.js';
import { deploymentUpdatesApi } from './deployment-updates.js';
import { pluginsApi } from './plugins.js';
import { sitesApi } from './sites.js';
import { snapshotsApi } from './snapshots.js';
import type { Requester } from './transport.js';
import type {
  Blueprint,
  BrokerNode,
  CloudifyEvent,
  CloudifyNode,
  ClusterStatus,
  ConfigEntry,
  DbNode,
  Deployment,
  Execution,
  ListParams,
  ListResponse,
  MaintenanceState,
  ManagerNode,
  ManagerStatus,
  NodeInstance,
  Secret,
  Tenant,
  User,
  Visibility,
} from './types.js';

const enc = encodeURIComponent;

export function listQuery(p: ListParams = {}): Record<string, string | number | boolean | undefined> {
  const q: Record<string, string | number | boolean | undefined> = { ...p.filters };
  if (p.sort) q._sort = `${p.descending ? '-' : ''}${p.sort}`;
  if (p.search) q._search = p.search;
  if (p.offset !== undefined) q._offset = p.offset;
  if (p.size !== undefined) q._size = p.size;
  if (p.allTenants) q._all_tenants = true;
  if (p.include?.length) q._include = p.include.join(',');
  return q;
}

/** `_get_data=true`: users and tenants with their members as dicts rather than counts. */
const dataQuery = (on: boolean) => (on ? { _get_data: true } : {});

export class CloudifyClient {
  constructor(readonly transport: Requester) {}

  async call<T>(spec: RequestSpec): Promise<T> {
    return (await this.transport.request(spec)).body as T;
  }

  list<T>(path: string, p?: ListParams, extra: Record<string, unknown> = {}): Promise<ListResponse<T>> {
    return this.call({
      method: 'GET',
      path,
      query: { ...listQuery(p), ...(extra as Record<string, string>) },
    });
  }

  // --- manager -------------------------------------------------------------------------------------
  readonly manager = {
    status: () => this.call<ManagerStatus>({ method: 'GET', path: '/status' }),
    version: () => this.call<Record<string, unknown>>({ method: 'GET', path: '/api/version' }),
    clusterStatus: () =>
      this.call<ClusterStatus>({ method: 'GET', path: '/cluster-status', query: { summary: false } }),
    managers: () => this.list<ManagerNode>('/managers'),
    brokers: () => this.list<BrokerNode>('/brokers'),
    getBroker: async (name: string) =>
      (await this.list<BrokerNode>('/brokers', { filters: { name } })).items.find((b) => b.name === name),
    addBroker: (name: string, address: string, port?: number, networks?: Record<string, string>) =>
      this.call<BrokerNode>({ method: 'POST', path: '/brokers', json: { name, address, port, networks } }),
    updateBroker: (name: string, networks: Record<string, string>) =>
      this.call<BrokerNode>({ method: 'PUT', path: `/brokers/${enc(name)}`, json: { networks } }),
    removeBroker: (name: string) => this.call<unknown>({ method: 'DELETE', path: `/brokers/${enc(name)}` }),
    dbNodes: () => this.list<DbNode>('/db-nodes'),
    removeManager: (hostname: string) =>
      this.call<unknown>({ method: 'DELETE', path: `/managers/${enc(hostname)}` }),
  };

  // --- blueprints ----------------------------------------------------------------------------------
  readonly blueprints = {
    list: (p?: ListParams) => this.list<Blueprint>('/blueprints', p),
    get: (id: string) => this.call<Blueprint>({ method: 'GET', path: `/blueprints/${enc(id)}` }),
    delete: (id: string, force = false) =>
      this.call<void>({ method: 'DELETE', path: `/blueprints/${enc(id)}`, query: { force } }),
    download: async (id: string): Promise<Buffer> =>
      (await this.transport.request({ method: 'GET', path: `/blueprints/${enc(id)}/archive`, raw: true }))
        .raw,
    /** Upload a built archive (multipart, as the Python client does). */
    upload: (
      id: string,
      archive: Buffer,
      o: { applicationFileName: string; visibility?: Visibility; validateOnly?: boolean },
    ) => {
      const params = {
        visibility: o.visibility ?? 'tenant',
        async_upload: false,
        skip_execution: false,
        application_file_name: o.applicationFileName,
      };
      const mp = multipart([
        { name: 'params', value: JSON.stringify(params) },
        { name: 'blueprint_archive', value: archive, filename: 'filename', contentType: 'text/plain' },
      ]);
      return this.call<Blueprint>({
        method: 'PUT',
        path: `/blueprints/${enc(id)}${o.validateOnly ? '/validate' : ''}`,
        body: mp.body,
        headers: { 'Content-Type': mp.contentType },
      });
    },
    /** Have the manager fetch the archive from a URL. */
    publish: (id: string, url: string, o: { applicationFileName: string; visibility?: Visibility }) =>
      this.call<Blueprint>({
        method: 'PUT',
        path: `/blueprints/${enc(id)}`,
        query: {
          blueprint_archive_url: url,
          application_file_name: o.applicationFileName,
          visibility: o.visibility ?? 'tenant',
          async_upload: false,
        },
      }),
  };

  // --- deployments ---------------------------------------------------------------------------------
  readonly deployments = {
    list: (p?: ListParams) => this.list<Deployment>('/deployments', p),
    get: (id: string) =>
      this.call<Deployment>({
        method: 'GET',
        path: `/deployments/${enc(id)}`,
        query: { all_sub_deployments: true, include_workdir: false },
      }),
    create: (
      id: string,
      o: {
        blueprintId: string;
        inputs?: Record<string, unknown>;
        visibility?: Visibility;
        siteName?: string;
        skipPluginsValidation?: boolean;
        runtimeOnlyEvaluation?: boolean;
      },
    ) =>
      this.call<Deployment>({
        method: 'PUT',
        path: `/deployments/${enc(id)}`,
        json: {
          blueprint_id: o.blueprintId,
          inputs: o.inputs ?? {},
          visibility: o.visibility ?? 'tenant',
          skip_plugins_validation: o.skipPluginsValidation ?? false,
          runtime_only_evaluation: o.runtimeOnlyEvaluation ?? false,
          ...(o.siteName ? { site_name: o.siteName } : {}),
        },
      }),
    delete: (id: string, o: { force?: boolean; withLogs?: boolean } = {}) =>
      this.call<void>({
        method: 'DELETE',
        path: `/deployments/${enc(id)}`,
        query: { force: o.force ?? false, delete_logs: o.withLogs ?? false },
      }),
    outputs: (id: string) =>
      this.call<{ deployment_id: string; outputs: Record<string, unknown> }>({
        method: 'GET',
        path: `/deployments/${enc(id)}/outputs`,
      }),
    capabilities: (id: string) =>
      this.call<{ deployment_id: string; capabilities: Record<string, unknown> }>({
        method: 'GET',
        path: `/deployments/${enc(id)}/capabilities`,
      }),
  };

  // --- executions ----------------------------------------------------------------------------------
  readonly executions = {
    list: (p?: ListParams, includeSystem = false) =>
      this.list<Execution>('/executions', p, { _include_system_workflows: includeSystem }),
    get: (id: string) => this.call<Execution>({ method: 'GET', path: `/executions/${enc(id)}` }),
    start: (o: {
      deploymentId: string;
      workflowId: string;
      parameters?: Record<string, unknown>;
      allowCustomParameters?: boolean;
      force?: boolean;
      dryRun?: boolean;
      queue?: boolean;
      waitAfterFail?: number;
    }) =>
      this.call<Execution>({
        method: 'POST',
        path: '/executions',
        // The Python client sends these booleans as the strings "true"/"false".
        json: {
          deployment_id: o.deploymentId,
          workflow_id: o.workflowId,
          parameters: o.parameters ?? {},
          allow_custom_parameters: String(o.allowCustomParameters ?? false),
          force: String(o.force ?? false),
          dry_run: String(o.dryRun ?? false),
          queue: String(o.queue ?? false),
          wait_after_fail: o.waitAfterFail ?? 600,
        },
      }),
    /** action: cancel | force-cancel | kill | resume | force-resume */
    action: (id: string, action: string) =>
      this.call<Execution>({ method: 'POST', path: `/executions/${enc(id)}`, json: { action } }),
  };

  // --- events --------------------------------------------------------------------------------------
  readonly events = {
    list: (o: {
      executionId?: string;
      deploymentId?: string;
      includeLogs?: boolean;
      offset?: number;
      size?: number;
      from?: string;
      to?: string;
    }) =>
      this.call<ListResponse<CloudifyEvent>>({
        method: 'GET',
        path: '/events',
        query: {
          execution_id: o.executionId,
          deployment_id: o.deploymentId,
          type: o.includeLogs === false ? ['cloudify_event'] : ['cloudify_event', 'cloudify_log'],
          _offset: o.offset ?? 0,
          _size: o.size ?? 100,
          _sort: 'reported_timestamp',
          _range: o.from || o.to ? `reported_timestamp,${o.from ?? ''},${o.to ?? ''}` : undefined,
        },
      }),
  };

  // --- nodes and node instances --------------------------------------------------------------------
  readonly nodes = {
    list: (p?: ListParams) => this.list<CloudifyNode>('/nodes', p),
    get: async (deploymentId: string, nodeId: string): Promise<CloudifyNode | undefined> => {
      const r = await this.list<CloudifyNode>('/nodes', {
        filters: { deployment_id: deploymentId, id: nodeId },
      });
      return r.items[0];
    },
  };

  readonly nodeInstances = {
    list: (p?: ListParams) => this.list<NodeInstance>('/node-instances', p),
    get: (id: string) =>
      this.call<NodeInstance>({
        method: 'GET',
        path: `/node-instances/${enc(id)}`,
        query: { _evaluate_functions: false },
      }),
    update: (
      id: string,
      o: { version: number; runtimeProperties?: Record<string, unknown>; state?: string },
    ) =>
      this.call<NodeInstance>({
        method: 'PATCH',
        path: `/node-instances/${enc(id)}`,
        json: {
          version: o.version,
          ...(o.runtimeProperties ? { runtime_properties: o.runtimeProperties } : {}),
          ...(o.state ? { state: o.state } : {}),
        },
      }),
  };

  // --- secrets -------------------------------------------------------------------------------------
  readonly secrets = {
    list: (p?: ListParams) => this.list<Secret>('/secrets', p),
    get: (key: string) => this.call<Secret>({ method: 'GET', path: `/secrets/${enc(key)}` }),
    create: (
      key: string,
      value: string,
      o: { updateIfExists?: boolean; hidden?: boolean; visibility?: Visibility } = {},
    ) =>
      this.call<Secret>({
        method: 'PUT',
        path: `/secrets/${enc(key)}`,
        json: {
          value,
          update_if_exists: o.updateIfExists ?? false,
          is_hidden_value: o.hidden ?? false,
          visibility: o.visibility ?? 'tenant',
        },
      }),
    update: (key: string, o: { value?: string; hidden?: boolean; visibility?: Visibility }) =>
      this.call<Secret>({
        method: 'PATCH',
        path: `/secrets/${enc(key)}`,
        json: {
          ...(o.value !== undefined ? { value: o.value } : {}),
          ...(o.hidden !== undefined ? { is_hidden_value: o.hidden } : {}),
          ...(o.visibility ? { visibility: o.visibility } : {}),
        },
      }),
    delete: (key: string) => this.call<void>({ method: 'DELETE', path: `/secrets/${enc(key)}` }),
  };

  // --- users and tenants ---------------------------------------------------------------------------
  readonly users = {
    list: (p?: ListParams) => this.list<User>('/users', p),
    get: (username: string, getData = false) =>
      this.call<User>({ method: 'GET', path: `/users/${enc(username)}`, query: dataQuery(getData) }),
    self: (getData = false) => this.call<User>({ method: 'GET', path: '/user', query: dataQuery(getData) }),
    create: (username: string, password: string, role: string) =>
      this.call<User>({ method: 'PUT', path: '/users', json: { username, password, role } }),
    setPassword: (username: string, password: string) =>
      this.call<User>({ method: 'POST', path: `/users/${enc(username)}`, json: { password } }),
    setRole: (username: string, role: string) =>
      this.call<User>({ method: 'POST', path: `/users/${enc(username)}`, json: { role } }),
    activate: (username: string, active: boolean) =>
      this.call<User>({
        method: 'POST',
        path: `/users/active/${enc(username)}`,
        json: { action: active ? 'activate' : 'deactivate' },
      }),
    unlock: (username: string) => this.call<User>({ method: 'POST', path: `/users/unlock/${enc(username)}` }),
    delete: (username: string) => this.call<void>({ method: 'DELETE', path: `/users/${enc(username)}` }),
  };

  readonly tenants = {
    list: (p?: ListParams) => this.list<Tenant>('/tenants', p),
    get: (name: string, getData = false) =>
      this.call<Tenant>({ method: 'GET', path: `/tenants/${enc(name)}`, query: dataQuery(getData) }),
    create: (name: string) => this.call<Tenant>({ method: 'POST', path: `/tenants/${enc(name)}` }),
    delete: (name: string) => this.call<void>({ method: 'DELETE', path: `/tenants/${enc(name)}` }),
    addUser: (username: string, tenantName: string, role: string) =>
      this.call<unknown>({
        method: 'PUT',
        path: '/tenants/users',
        json: { username, tenant_name: tenantName, role },
      }),
    updateUser: (username: string, tenantName: string, role: string) =>
      this.call<unknown>({
        method: 'PATCH',
        path: '/tenants/users',
        json: { username, tenant_name: tenantName, role },
      }),
    removeUser: (username: string, tenantName: string) =>
      this.call<unknown>({
        method: 'DELETE',
        path: '/tenants/users',
        json: { username, tenant_name: tenantName },
      }),
  };

  readonly plugins = pluginsApi(this);
  readonly snapshots = snapshotsApi(this);
  readonly deploymentUpdates = deploymentUpdatesApi(this);

  // --- maintenance mode, sites, agents, tokens ------------------------------------------------------
  readonly maintenance = {
    status: () => this.call<MaintenanceState>({ method: 'GET', path: '/maintenance' }),
    set: (action: 'activate' | 'deactivate') =>
      this.call<MaintenanceState>({ method: 'POST', path: `/maintenance/${action}` }),
  };

  readonly sites = sitesApi(this);

  /** Agents in `started` state unless the filters say otherwise, as the Python client asks. */
  agents = (filters: Record<string, QueryValue>) =>
    this.call<ListResponse<Record<string, unknown>>>({
      method: 'GET',
      path: '/agents',
      query: { state: 'started', ...filters },
    });

  readonly config = {
    list: () => this.call<{ items: ConfigEntry[] }>({ method: 'GET', path: '/config' }),
    put: (name: string, value: unknown) =>
      this.call<ConfigEntry>({ method: 'PUT', path: `/config/${enc(name)}`, json: { value, force: false } }),
  };

  /** 5.1's GET /tokens: a fresh token of the caller as {username, value, role}. */
  token = () =>
    this.call<{ username: string; value: string; role: string }>({ method: 'GET', path: '/tokens' });

  // --- license -------------------------------------------------------------------------------------
  readonly license = {
    list: () => this.list<Record<string, unknown>>('/license'),
    /** Raw bytes, chunked, with `Content-type: application/json` kept, as the Python client does. */
    upload: (content: Buffer) =>
      this.call<Record<string, unknown>>({ method: 'PUT', path: '/license', body: content, chunked: true }),
  };
}
