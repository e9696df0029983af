// Deployment updates (rest-api.md §1.9, 5.1.2 resources_v2_1/deployment_update.py):
// PUT /deployment-updates/{deployment_id}/update/initiate stages the update from an uploaded blueprint
// and/or new inputs, diffs the plans into steps and, unless it is a preview, stores the update and
// starts the `update` workflow (the worker applies it); POST …/{update_id}/update/finalize answers the
// update (the workflow finalizes it itself); GET /deployment-updates and /deployment-updates/{id}.
import { Type } from 'typebox';
import { badParameters, conflict } from '../../common/errors.js';
import {
  activeUpdateIds,
  DEPLOYMENT_UPDATES,
  getDeploymentUpdate,
  insertDeploymentUpdate,
  listDeploymentUpdates,
  loadUpdateSource,
  setUpdateExecution,
} from '../../store/repositories/deployment-updates.js';
import { findBlueprintForDeployment, findDeployment } from '../../store/repositories/deployments.js';
import { parseInclude, publicRow, type Scope } from '../../store/repositories/list.js';
import { loadInstances } from '../../store/repositories/node-instances.js';
import { loadNodes } from '../../store/repositories/nodes.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { planUpdate, type UpdateRequest } from '../deployment-updates/plan.js';
import {
  Any,
  commonProps,
  errorResponses,
  Include,
  listOf,
  ListQuery,
  NStr,
  resource,
  Str,
} from '../schemas/common.js';

const DeploymentUpdateBody = resource({
  ...commonProps,
  id: NStr,
  deployment_id: Str,
  old_blueprint_id: NStr,
  new_blueprint_id: NStr,
  state: Str,
  execution_id: NStr,
  old_inputs: Any,
  new_inputs: Any,
  steps: Any,
  deployment_plan: Any,
  deployment_update_nodes: Any,
  deployment_update_node_instances: Any,
  deployment_update_deployment: Any,
  modified_entity_ids: Any,
  central_plugins_to_install: Any,
  central_plugins_to_uninstall: Any,
  runtime_only_evaluation: Type.Boolean(),
  keep_old_deployment_dependencies: Type.Boolean(),
  recursive_dependencies: Any,
});

const Bool = Type.Optional(Type.Union([Type.Boolean(), Type.String(), Type.Null()]));
const InitiateBody = Type.Object(
  {
    blueprint_id: Type.Optional(NStr),
    inputs: Type.Optional(Any),
    reinstall_list: Type.Optional(Any),
    workflow_id: Type.Optional(NStr),
    skip_install: Bool,
    skip_uninstall: Bool,
    skip_reinstall: Bool,
    ignore_failure: Bool,
    install_first: Bool,
    preview: Bool,
    force: Bool,
    update_plugins: Bool,
    runtime_only_evaluation: Bool,
  },
  { additionalProperties: true },
);
const PhaseParams = Type.Object({ id: Type.String({ minLength: 1 }), phase: Str });

/** 5.1's verify_and_convert_bool: true/false, or their text forms. */
function flag(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw badParameters(`${name} must be a boolean (true or false), got ${JSON.stringify(v)}`);
}

export async function registerDeploymentUpdateRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;
  app.get(
    '/deployment-updates',
    {
      config: { permission: 'deployment_update_list', tenant: true },
      schema: { querystring: ListQuery, response: { 200: listOf(DeploymentUpdateBody), ...errorResponses } },
    },
    async (req) => listDeploymentUpdates(db, config, scopeOf(req), req.query),
  );
  app.get(
    '/deployment-updates/:id',
    {
      config: { permission: 'deployment_update_get', tenant: true },
      schema: {
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        querystring: Include,
        response: { 200: DeploymentUpdateBody, ...errorResponses },
      },
    },
    async (req) => {
      const include = parseInclude(DEPLOYMENT_UPDATES, req.query._include);
      return publicRow(await getDeploymentUpdate(db, scopeOf(req), req.params.id, include));
    },
  );
  app.post(
    '/deployment-updates/:id/update/:phase',
    {
      config: { permission: 'deployment_update_create', tenant: true },
      schema: { params: PhaseParams, response: { 200: DeploymentUpdateBody, ...errorResponses } },
    },
    async (req) => {
      const { id, phase } = req.params;
      if (phase === 'finalize') return publicRow(await getDeploymentUpdate(db, scopeOf(req), id));
      if (phase === 'initiate') {
        throw badParameters(
          'Updating a deployment from a blueprint archive is not supported: upload the blueprint first, then update with its blueprint_id',
        );
      }
      throw badParameters(`Unknown deployment update phase ${phase}: use initiate or finalize`);
    },
  );
  app.put(
    '/deployment-updates/:id/update/:phase',
    {
      config: { permission: 'deployment_update_create', tenant: true },
      schema: {
        summary: 'Update a deployment to an uploaded blueprint and/or new inputs',
        params: PhaseParams,
        body: InitiateBody,
        response: { 200: DeploymentUpdateBody, ...errorResponses },
      },
    },
    async (req) => {
      if (req.params.phase !== 'initiate') {
        throw badParameters(`Unknown deployment update phase ${req.params.phase}: use initiate`);
      }
      const tenant = tenantOf(req);
      return initiate(
        ctx,
        scopeOf(req),
        { tenantId: tenant.id, creatorId: req.auth.user.id },
        { tenant_name: tenant.name, created_by: req.auth.user.username },
        req.params.id,
        req.body,
      );
    },
  );
}

function parseRequest(body: Record<string, unknown>): UpdateRequest {
  const inputs = body.inputs ?? {};
  const reinstall = body.reinstall_list ?? [];
  if (typeof inputs !== 'object' || Array.isArray(inputs))
    throw badParameters('parameter `inputs` must be of type `dict`');
  if (!Array.isArray(reinstall) || !reinstall.every((x) => typeof x === 'string')) {
    throw badParameters('parameter `reinstall_list` must be of type `list`');
  }
  return {
    inputs: inputs as Record<string, unknown>,
    reinstall_list: reinstall,
    skip_install: flag('skip_install', body.skip_install, false),
    skip_uninstall: flag('skip_uninstall', body.skip_uninstall, false),
    skip_reinstall: flag('skip_reinstall', body.skip_reinstall, false),
    ignore_failure: flag('ignore_failure', body.ignore_failure, false),
    install_first: flag('install_first', body.install_first, false),
    update_plugins: flag('update_plugins', body.update_plugins, true),
    runtime_only_evaluation: flag('runtime_only_evaluation', body.runtime_only_evaluation, false),
  };
}

/** Validates the request and diffs the plans (nothing is written). */
async function stage(ctx: ManagerContext, scope: Scope, deploymentId: string, body: Record<string, unknown>) {
  const { db } = ctx;
  const req = parseRequest(body);
  const preview = flag('preview', body.preview, false);
  if (body.workflow_id && body.workflow_id !== 'update') {
    throw badParameters(
      `Only the built-in update workflow can run a deployment update: omit workflow_id (got ${body.workflow_id})`,
    );
  }
  const dep = await findDeployment(db, scope, deploymentId);
  const active = await activeUpdateIds(db, dep._storage_id);
  if (active.length)
    throw conflict(`there are deployment updates still active; update IDs: ${active.join(', ')}`);
  const blueprintId =
    typeof body.blueprint_id === 'string' && body.blueprint_id ? body.blueprint_id : undefined;
  if (!blueprintId && !Object.keys(req.inputs).length) {
    throw badParameters(
      'Must supply either the `blueprint_id` parameter, or new inputs, in order the preform a deployment update',
    );
  }
  const src = await loadUpdateSource(db, dep._storage_id);
  const bp = blueprintId
    ? await findBlueprintForDeployment(db, scope, blueprintId)
    : { _storage_id: src._blueprint_fk, id: src.blueprint_id, state: 'uploaded', plan: src.blueprint_plan };
  if (!bp.plan) throw badParameters(`Blueprint ${bp.id} has no parsed plan: upload it again`);
  if (bp.state !== 'uploaded')
    throw badParameters(`Blueprint ${bp.id} is in state ${bp.state}, it must be uploaded`);
  const plan = planUpdate(
    src,
    bp.plan as Record<string, any>,
    await loadNodes(db, dep._storage_id),
    await loadInstances(db, dep._storage_id),
    req,
  );
  return { dep, src, bp, plan, req, preview };
}

async function initiate(
  ctx: ManagerContext,
  scope: Scope,
  who: { tenantId: number; creatorId: number },
  names: { tenant_name: string; created_by: string },
  deploymentId: string,
  body: Record<string, unknown>,
) {
  const { db } = ctx;
  const { dep, src, bp, plan, req, preview } = await stage(ctx, scope, deploymentId, body);
  const id = `${dep.id}-${crypto.randomUUID()}`;
  const view = {
    id: preview ? null : id,
    deployment_id: dep.id,
    old_blueprint_id: src.blueprint_id,
    new_blueprint_id: bp.id,
    old_inputs: src.inputs,
    new_inputs: plan.newInputs,
    state: 'preview',
    execution_id: null,
    steps: plan.steps.map(({ supported: _, ...s }) => ({
      ...s,
      id: crypto.randomUUID(),
      deployment_update_id: preview ? null : id,
    })),
    deployment_plan: plan.deploymentPlan,
    modified_entity_ids: plan.modifiedEntityIds,
    central_plugins_to_install: [],
    central_plugins_to_uninstall: [],
    recursive_dependencies: [],
    runtime_only_evaluation: req.runtime_only_evaluation || src.runtime_only_evaluation,
    visibility: dep.visibility,
  };
  if (preview) return { ...view, ...names, created_at: new Date().toISOString() };
  const exec = await db.transaction(async (tx) => {
    await insertDeploymentUpdate(tx, {
      ...who,
      visibility: dep.visibility,
      id,
      deploymentFk: dep._storage_id,
      oldBlueprintFk: src._blueprint_fk,
      newBlueprintFk: bp._storage_id,
      executionFk: null,
      state: 'executing_workflow',
      steps: view.steps,
      deploymentPlan: plan.deploymentPlan,
      nodes: plan.nodes,
      nodeInstances: plan.nodeInstances,
      modifiedEntityIds: plan.modifiedEntityIds,
      oldInputs: src.inputs,
      newInputs: plan.newInputs,
      runtimeOnlyEvaluation: view.runtime_only_evaluation,
      keepOldDeploymentDependencies: req.skip_uninstall,
      oldNodes: plan.oldNodes,
    });
    const created = await ctx.executions.insertExecution(tx, {
      ...who,
      deploymentFk: dep._storage_id,
      blueprintId: bp.id,
      workflowId: 'update',
      parameters: { update_id: id, ...plan.parameters },
      allowCustomParameters: true,
      visibility: dep.visibility,
    });
    await setUpdateExecution(tx, id, who.tenantId, created.storageId);
    return created;
  });
  if (exec.status === 'pending') await ctx.executions.dispatch(exec.id);
  return publicRow(await getDeploymentUpdate(db, scope, id));
}
