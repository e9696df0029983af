// The deployment-updates calls of the REST client (cfy deployments update|history|get-update), as
// the official Python client makes them (update_with_existing_blueprint: a PUT with a JSON body).
import type { RequestSpec } from './http.js';
import type { ListParams, ListResponse } from './types.js';

const enc = encodeURIComponent;

export interface DeploymentUpdate {
  id: string | null;
  deployment_id: string;
  state: string;
  execution_id: string | null;
  old_blueprint_id: string | null;
  new_blueprint_id: string | null;
  old_inputs: Record<string, unknown> | null;
  new_inputs: Record<string, unknown> | null;
  steps: { action: string; entity_type: string; entity_id: string }[];
  created_at: string;
  [k: string]: unknown;
}

export interface UpdateParams {
  blueprintId?: string;
  inputs?: Record<string, unknown>;
  skipInstall: boolean;
  skipUninstall: boolean;
  skipReinstall: boolean;
  workflowId?: string;
  force: boolean;
  ignoreFailure: boolean;
  installFirst: boolean;
  reinstallList: string[];
  preview: boolean;
  updatePlugins: boolean;
  runtimeOnlyEvaluation?: boolean;
}

interface Caller {
  call<T>(spec: RequestSpec): Promise<T>;
  list<T>(path: string, p?: ListParams, extra?: Record<string, unknown>): Promise<ListResponse<T>>;
}

export function deploymentUpdatesApi(c: Caller) {
  return {
    list: (p?: ListParams) => c.list<DeploymentUpdate>('/deployment-updates', p),
    get: (id: string) => c.call<DeploymentUpdate>({ method: 'GET', path: `/deployment-updates/${enc(id)}` }),
    update: (deploymentId: string, p: UpdateParams) => {
      const json: Record<string, unknown> = {
        workflow_id: p.workflowId ?? null,
        skip_install: p.skipInstall,
        skip_uninstall: p.skipUninstall,
        skip_reinstall: p.skipReinstall,
        ignore_failure: p.ignoreFailure,
        install_first: p.installFirst,
        preview: p.preview,
        blueprint_id: p.blueprintId ?? null,
        update_plugins: p.updatePlugins,
      };
      if (p.inputs && Object.keys(p.inputs).length) json.inputs = p.inputs;
      if (p.reinstallList.length) json.reinstall_list = p.reinstallList;
      if (p.runtimeOnlyEvaluation !== undefined) json.runtime_only_evaluation = p.runtimeOnlyEvaluation;
      return c.call<DeploymentUpdate>({
        method: 'PUT',
        path: `/deployment-updates/${enc(deploymentId)}/update/initiate`,
        json,
      });
    },
  };
}
