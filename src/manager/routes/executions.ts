// Executions (rest-api.md §1.5, §6): start (pending or queued), list, get, the user actions
// (cancel/kill/resume), the workers' status PATCH with the §6.2 validation, and should-start.
// Running workflows is the worker's job: a pending execution is handed to ctx.dispatcher.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { randomString, sha256 } from '../auth/tokens.js';
import type { ManagerContext } from '../context.js';
import { scopeOf, tenantOf } from '../context.js';
import { findDeployment } from '../deployments/model.js';
import { badParameters, nonexistentWorkflow } from '../errors.js';
import { EXECUTIONS, ExecutionBody, getExecution, publicRow } from '../executions/model.js';
import { mergeWorkflowParameters, type WorkflowParamDecl } from '../executions/params.js';
import {
  createExecution,
  dispatchExecution,
  shouldStart,
  startQueuedExecutions,
  updateExecutionStatus,
} from '../executions/service.js';
import { applyAction, isEnd, statusDisplay } from '../executions/status.js';
import { type ListOptions, listResources, parseInclude } from '../list-query.js';
import { Any, Bool, errorResponses, IdParam, Include, ListQuery, listOf, NStr, Str } from '../schemas.js';

const Flag = Type.Optional(Bool);

const StartBody = Type.Object(
  {
    deployment_id: NStr,
    workflow_id: Str,
    parameters: Type.Optional(Type.Union([Type.Record(Type.String(), Any), Type.Null()])),
    allow_custom_parameters: Flag,
    force: Flag,
    dry_run: Flag,
    queue: Flag,
    wait_after_fail: Type.Optional(Type.Integer()),
    scheduled_time: Type.Optional(NStr),
  },
  { additionalProperties: true },
);

const truthy = (v: unknown) => v === true || v === 'true' || v === 'True';

export async function registerExecutionRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;

  app.get(
    '/executions',
    {
      config: { permission: 'execution_list', tenant: true },
      schema: {
        summary: 'List executions (system workflows only with _include_system_workflows=true)',
        querystring: ListQuery,
        response: { 200: listOf(ExecutionBody), ...errorResponses },
      },
    },
    async (req) => {
      const query = req.query as Record<string, unknown>;
      const opts: ListOptions = { query, scope: scopeOf(req), where: [] };
      if (!truthy(query._include_system_workflows)) {
        opts.where!.push({ sql: 't.is_system_workflow = false', params: [] });
      }
      return listResources(db, config, EXECUTIONS, opts);
    },
  );

  app.get(
    '/executions/:id',
    {
      config: { permission: 'execution_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: ExecutionBody, ...errorResponses } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const include = parseInclude(EXECUTIONS, (req.query as { _include?: string })._include);
      return publicRow(await getExecution(db, scopeOf(req), id, include));
    },
  );

  app.post(
    '/executions',
    {
      config: { permission: 'execution_start', tenant: true },
      schema: {
        summary: 'Start a workflow on a deployment',
        body: StartBody,
        response: { 201: ExecutionBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!('deployment_id' in body)) throw badParameters('Missing deployment_id in json request body');
      if (body.deployment_id === null || body.deployment_id === '') {
        throw badParameters('deployment_id is required: system-wide executions are not supported');
      }
      if (body.scheduled_time) throw badParameters('Scheduled executions are not supported yet');
      const params = body.parameters ?? {};
      if (typeof params !== 'object' || Array.isArray(params)) {
        throw badParameters('request body parameter "parameters" must be of type dict');
      }
      const scope = scopeOf(req);
      const dep = await findDeployment(db, scope, String(body.deployment_id));
      const workflowId = String(body.workflow_id);
      const wf = dep.workflows?.[workflowId];
      if (!wf) {
        throw nonexistentWorkflow(
          `Workflow ${workflowId} does not exist in the deployment ${dep.id}: it has ${Object.keys(dep.workflows ?? {}).join(', ') || 'no workflows'}`,
        );
      }
      const allowCustom = truthy(body.allow_custom_parameters);
      const merged = mergeWorkflowParameters(
        wf.parameters as Record<string, WorkflowParamDecl> | undefined,
        params as Record<string, unknown>,
        allowCustom,
      );
      const created = await createExecution(db, config, {
        tenantId: tenantOf(req).id,
        creatorId: req.auth.user.id,
        deploymentFk: dep._storage_id,
        blueprintId: dep.blueprint_id,
        workflowId,
        parameters: merged,
        isDryRun: truthy(body.dry_run),
        allowCustomParameters: allowCustom,
        queue: truthy(body.queue),
        force: truthy(body.force),
        visibility: dep.visibility,
      });
      if (created.status === 'pending') await dispatchExecution(ctx, created.id);
      return reply.code(201).send(publicRow(await getExecution(db, scope, created.id)));
    },
  );

  app.post(
    '/executions/:id',
    {
      config: { permission: 'execution_cancel', tenant: true },
      schema: {
        summary: 'cancel, force-cancel, kill, resume, force-resume or requeue an execution',
        params: IdParam,
        body: Type.Object({ action: Str }, { additionalProperties: true }),
        response: { 200: ExecutionBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const { action } = req.body as { action: string };
      const scope = scopeOf(req);
      const ex = await getExecution(db, scope, id, ['id', 'status']);
      const r = applyAction(id, String(ex.status), action);
      await db.query(
        `UPDATE executions SET status = $2,
           ended_at = CASE WHEN $2 = 'cancelled' THEN now() WHEN $3 THEN NULL ELSE ended_at END,
           resume = CASE WHEN $3 THEN true ELSE resume END,
           error = CASE WHEN $3 THEN '' ELSE error END,
           token = CASE WHEN $3 THEN $4 ELSE token END
         WHERE _storage_id = $1`,
        [ex.__storage_id, r.status, r.resume, sha256(randomString(40))],
      );
      if (r.resume) {
        // Failed operations run again on resume (resource_manager.reset_operations).
        await db.query(
          `UPDATE operations o SET state = 'pending' FROM tasks_graphs g
           WHERE g._storage_id = o._tasks_graph_fk AND g._execution_fk = $1 AND o.state = 'failed'`,
          [ex.__storage_id],
        );
      }
      if (r.redispatch) await dispatchExecution(ctx, id);
      if (isEnd(r.status)) await startQueuedExecutions(ctx);
      return publicRow(await getExecution(db, scope, id));
    },
  );

  app.patch(
    '/executions/:id',
    {
      config: { permission: 'execution_status_update', tenant: true },
      schema: {
        summary: 'Report an execution status (workers)',
        params: IdParam,
        body: Type.Object({ status: Str, error: Type.Optional(NStr) }, { additionalProperties: true }),
        response: { 200: ExecutionBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = req.body as { status: string; error?: string | null };
      const scope = scopeOf(req);
      const before = await getExecution(db, scope, id);
      const r = await updateExecutionStatus(ctx, id, body.status, body.error, tenantOf(req).id);
      if (r.deploymentDeleted) {
        // The execution went with its deployment: answer with what it was.
        return { ...publicRow(before), status: r.status, status_display: statusDisplay(r.status) };
      }
      return publicRow(await getExecution(db, scope, id));
    },
  );

  app.get(
    '/executions/:id/should-start',
    {
      config: { permission: 'execution_should_start', tenant: true },
      schema: { params: IdParam, response: { 200: Type.Boolean(), ...errorResponses } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const ex = await getExecution(db, scopeOf(req), id, ['id']);
      return shouldStart(db, config, ex.__storage_id);
    },
  );
}
