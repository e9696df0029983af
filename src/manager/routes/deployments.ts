// Deployments (rest-api.md §1.4): list/get, create (row + create_deployment_environment, sync or
// async), delete (delete_deployment_environment, or directly without a worker), outputs,
// capabilities, and the worker's attribute PATCH.
import { Type } from 'typebox';
import {
  badParameters,
  CloudifyError,
  conflict,
  dependentExists,
  deploymentCreation,
  forbidden,
  missingRequiredInput,
  unknownInput,
} from '../../common/errors.js';
import { ACTIVE_STATES, isEnd } from '../../executions/status.js';
import type { Db } from '../../store/port.js';
import {
  DEPLOYMENTS,
  deleteDeployment,
  deploymentExists,
  findBlueprintForDeployment,
  findDeployment,
  getDeploymentView,
  insertDeployment,
  listDeployments,
  markDeleting,
  updateDeployment,
} from '../../store/repositories/deployments.js';
import { EXECUTIONS, executionsOfDeployment } from '../../store/repositories/executions.js';
import { findVisible, parseInclude, type Scope } from '../../store/repositories/list.js';
import { liveInstanceIds } from '../../store/repositories/node-instances.js';
import { hasPermission } from '../auth/permissions.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { parseLabels } from '../labels.js';
import { errorResponses, IdParam, Include, listOf } from '../schemas/common.js';
import {
  DeploymentBody,
  DeploymentCreateBody,
  DeploymentCreateQuery,
  DeploymentDeleteQuery,
  DeploymentListQuery,
  DeploymentPatchBody,
  DeploymentSection,
} from '../schemas/deployments.js';

/** How long a synchronous create waits for create_deployment_environment (Cloudify: 1 s × 120). */
export const deploymentCreateWait = { intervalMs: 250, timeoutMs: 120_000 };

const VALID_ID = /^[^\s/\\:*?"<>|%#&+]+$/;

export async function registerDeploymentRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerCreate(app, ctx);
  registerPatch(app, ctx);
  registerDelete(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  const { db, config } = ctx;
  app.get(
    '/deployments',
    {
      config: { permission: 'deployment_list', tenant: true },
      schema: {
        summary: 'List deployments',
        querystring: DeploymentListQuery,
        response: { 200: listOf(DeploymentBody), ...errorResponses },
      },
    },
    async (req) => listDeployments(db, config, scopeOf(req), req.query),
  );

  app.get(
    '/deployments/:id',
    {
      config: { permission: 'deployment_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: DeploymentBody, ...errorResponses } },
    },
    async (req) => {
      const include = parseInclude(DEPLOYMENTS, req.query._include);
      return getDeploymentView(db, scopeOf(req), req.params.id, include);
    },
  );

  for (const kind of ['outputs', 'capabilities'] as const) {
    app.get(
      `/deployments/:id/${kind}`,
      {
        config: {
          permission: kind === 'outputs' ? 'deployment_modification_outputs' : 'deployment_capabilities',
          tenant: true,
        },
        schema: { params: IdParam, response: { 200: DeploymentSection(kind), ...errorResponses } },
      },
      async (req) => {
        const { id } = req.params;
        const dep = await findDeployment(db, scopeOf(req), id);
        return { deployment_id: id, [kind]: await ctx.evaluateOutputs(dep._storage_id, kind) };
      },
    );
  }
}

function registerCreate(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.put(
    '/deployments/:id',
    {
      config: { permission: 'deployment_create', tenant: true },
      schema: {
        summary: 'Create a deployment from an uploaded blueprint',
        params: IdParam,
        querystring: DeploymentCreateQuery,
        body: DeploymentCreateBody,
        response: { 201: DeploymentBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const { body, query } = req;
      if (!VALID_ID.test(id)) {
        throw badParameters(
          `The deployment's id \`${id}\` contains illegal characters (whitespace or /\\:*?"<>|%#&+)`,
        );
      }
      const scope = scopeOf(req);
      const tenant = tenantOf(req);
      const visibility = body.visibility ?? (query.private_resource ? 'private' : 'tenant');
      if (visibility === 'global' && !hasPermission(req.auth.roles, 'create_global_resource')) {
        throw forbidden(`User \`${req.auth.user.username}\` is not permitted to create global resources`);
      }
      const bp = await findBlueprintForDeployment(db, scope, body.blueprint_id);
      if (bp.state !== 'uploaded') {
        throw deploymentCreation(
          `Can't create deployment ${id} - blueprint ${bp.id} is in state ${bp.state}, it must be uploaded`,
        );
      }
      const inputs = body.inputs ?? {};
      const plan = bp.plan ?? undefined;
      if (plan) validateInputs(plan.inputs, inputs);
      const labels = parseLabels(body.labels);
      if (await deploymentExists(db, tenant.id, id)) {
        throw conflict(`deployment with id \`${id}\` already exists`);
      }
      const owner = { tenantId: tenant.id, creatorId: req.auth.user.id, visibility };
      const exec = await db.transaction(async (tx) => {
        const deploymentFk = await insertDeployment(tx, {
          ...owner,
          id,
          blueprintFk: bp._storage_id,
          plan,
          displayName: body.display_name ?? null,
          inputs,
          runtimeOnlyEvaluation: body.runtime_only_evaluation ?? false,
          siteName: body.site_name ?? null,
          labels,
        });
        return ctx.executions.insertExecution(tx, {
          ...owner,
          deploymentFk,
          blueprintId: bp.id,
          workflowId: 'create_deployment_environment',
          parameters: {
            inputs,
            labels: labels.map((l) => ({ [l.key]: l.value })),
            display_name: body.display_name ?? id,
            skip_plugins_validation: body.skip_plugins_validation ?? false,
          },
          isSystemWorkflow: true,
        });
      });
      if (exec.status === 'pending') await ctx.executions.dispatch(exec.id);
      if (!query.async_create && ctx.executions.dispatches) await waitForCreate(db, scope, id, exec.id);
      return reply.code(201).send(await getDeploymentView(db, scope, id));
    },
  );
}

function registerPatch(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.patch(
    '/deployments/:id',
    {
      config: { permission: 'deployment_update', tenant: true },
      schema: {
        summary: 'Set deployment attributes (the worker, after computing the plan)',
        params: IdParam,
        body: DeploymentPatchBody,
        response: { 200: DeploymentBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { workflows, labels, ...attributes } = req.body;
      const scope = scopeOf(req);
      const dep = await findDeployment(db, scope, id);
      await updateDeployment(db, dep._storage_id, req.auth.user.id, {
        ...attributes,
        workflows: workflows === undefined ? undefined : workflowMap(workflows),
        labels: labels === undefined ? undefined : parseLabels(labels),
      });
      return getDeploymentView(db, scope, id);
    },
  );
}

function registerDelete(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.delete(
    '/deployments/:id',
    {
      config: { permission: 'deployment_delete', tenant: true },
      schema: {
        summary: 'Delete a deployment (runs delete_deployment_environment when a worker is attached)',
        params: IdParam,
        querystring: DeploymentDeleteQuery,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const force = req.query.force ?? false;
      const dep = await findDeployment(db, scopeOf(req), id);
      const running = await executionsOfDeployment(db, dep._storage_id, [...ACTIVE_STATES, 'queued']);
      if (running.length) {
        throw dependentExists(
          `Can't delete deployment ${id} - There are running or queued executions for this deployment. Running executions ids: ${running.join(',')}`,
        );
      }
      if (!force) {
        const live = await liveInstanceIds(db, dep._storage_id);
        if (live.length) {
          throw dependentExists(
            `Can't delete deployment ${id} - There are live nodes for this deployment. Live nodes ids: ${live.join(',')}`,
          );
        }
      }
      if (!ctx.executions.dispatches) {
        await deleteDeployment(db, dep._storage_id);
        return reply.code(204).send(null);
      }
      await markDeleting(db, dep._storage_id);
      await ctx.executions.create({
        tenantId: dep._tenant_id,
        creatorId: req.auth.user.id,
        deploymentFk: dep._storage_id,
        blueprintId: dep.blueprint_id,
        workflowId: 'delete_deployment_environment',
        parameters: {
          delete_logs: req.query.delete_logs ?? true,
          force,
          recursive: req.query.recursive ?? false,
        },
        isSystemWorkflow: true,
        visibility: dep.visibility,
      });
      return reply.code(204).send(null);
    },
  );
}

/** Workflows as a name → declaration map (the worker may send Cloudify's list form). */
function workflowMap(w: unknown): Record<string, unknown> {
  if (Array.isArray(w)) {
    return Object.fromEntries(
      w.map((x) => {
        const { name, ...rest } = x as Record<string, unknown>;
        return [String(name), rest];
      }),
    );
  }
  if (w && typeof w === 'object') return w as Record<string, unknown>;
  throw badParameters('workflows must be a dict or a list');
}

function validateInputs(planInputs: unknown, given: Record<string, unknown>): void {
  if (!planInputs || typeof planInputs !== 'object') {
    if (Object.keys(given).length) {
      throw unknownInput(
        `Unknown input(s) ${JSON.stringify(Object.keys(given))} specified: the blueprint declares no inputs`,
      );
    }
    return;
  }
  const decl = planInputs as Record<string, Record<string, unknown> | null>;
  const unknown = Object.keys(given).filter((k) => !(k in decl));
  if (unknown.length) {
    throw unknownInput(
      `Unknown input(s) ${JSON.stringify(unknown)} specified: the blueprint declares ${Object.keys(decl).join(', ') || 'none'}`,
    );
  }
  const missing = Object.entries(decl)
    .filter(([k, d]) => !(k in given) && !(d && 'default' in d) && d?.required !== false)
    .map(([k]) => k);
  if (missing.length) {
    throw missingRequiredInput(`Required input(s) ${JSON.stringify(missing)} were not specified`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sync create: wait for create_deployment_environment to end (bounded). */
async function waitForCreate(db: Db, scope: Scope, depId: string, execId: string): Promise<void> {
  const deadline = Date.now() + deploymentCreateWait.timeoutMs;
  for (;;) {
    const ex = await findVisible<{ status: string; error: string | null }>(db, EXECUTIONS, scope, execId, {
      include: ['status', 'error'],
    });
    if (!ex) return;
    if (ex.status === 'terminated') return;
    if (isEnd(ex.status)) {
      const last = (ex.error ?? '').trim().split('\n').pop() || ex.status;
      throw deploymentCreation(`Deployment ${depId} environment creation ${ex.status}: ${last}`);
    }
    if (Date.now() >= deadline) {
      throw new CloudifyError(
        400,
        'deployment_environment_creation_in_progress_error',
        `Deployment ${depId} environment creation is still in progress (execution ${execId}); try again later`,
      );
    }
    await sleep(deploymentCreateWait.intervalMs);
  }
}
