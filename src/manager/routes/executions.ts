// Executions (rest-api.md §1.5, §6): start (pending or queued), list, get, the user actions
// (cancel/kill/resume), the workers' status PATCH with the §6.2 validation, and should-start.
// The lifecycle decides (src/executions); running workflows is the worker's job.
import { Type } from 'typebox';
import { badParameters, nonexistentWorkflow } from '../../common/errors.js';
import { mergeWorkflowParameters, type WorkflowParamDecl } from '../../executions/params.js';
import { statusDisplay } from '../../executions/status.js';
import { findDeployment } from '../../store/repositories/deployments.js';
import { EXECUTIONS, getExecution } from '../../store/repositories/executions.js';
import { listResources, parseInclude, publicRow } from '../../store/repositories/list.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import {
  Any,
  errorResponses,
  Flag,
  IdParam,
  Include,
  listOf,
  listQuery,
  NStr,
  Str,
} from '../schemas/common.js';
import { ExecutionBody } from '../schemas/executions.js';

const StartBody = Type.Object(
  {
    // Optional here so that a missing one gets Cloudify's own message below.
    deployment_id: Type.Optional(NStr),
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

export async function registerExecutionRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerStart(app, ctx);
  registerChanges(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  const { db, config } = ctx;
  app.get(
    '/executions',
    {
      config: { permission: 'execution_list', tenant: true },
      schema: {
        summary: 'List executions (system workflows only with _include_system_workflows=true)',
        querystring: listQuery({ _include_system_workflows: Flag }),
        response: { 200: listOf(ExecutionBody), ...errorResponses },
      },
    },
    async (req) => {
      const where = req.query._include_system_workflows
        ? []
        : [{ sql: 't.is_system_workflow = false', params: [] }];
      return listResources(db, config, EXECUTIONS, {
        query: req.query,
        scope: scopeOf(req),
        where,
        reserved: ['_include_system_workflows'],
      });
    },
  );

  app.get(
    '/executions/:id',
    {
      config: { permission: 'execution_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: ExecutionBody, ...errorResponses } },
    },
    async (req) => {
      const include = parseInclude(EXECUTIONS, req.query._include);
      return publicRow(await getExecution(db, scopeOf(req), req.params.id, include));
    },
  );

  app.get(
    '/executions/:id/should-start',
    {
      config: { permission: 'execution_should_start', tenant: true },
      schema: { params: IdParam, response: { 200: Type.Boolean(), ...errorResponses } },
    },
    async (req) => {
      const ex = await getExecution(db, scopeOf(req), req.params.id, ['id']);
      return ctx.executions.shouldStart(ex.__storage_id);
    },
  );
}

function registerStart(app: Api, ctx: ManagerContext): void {
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
      const body = req.body;
      if (body.deployment_id === undefined) throw badParameters('Missing deployment_id in json request body');
      if (body.deployment_id === null || body.deployment_id === '') {
        throw badParameters('deployment_id is required: system-wide executions are not supported');
      }
      if (body.scheduled_time) throw badParameters('Scheduled executions are not supported yet');
      const scope = scopeOf(req);
      const dep = await findDeployment(ctx.db, scope, body.deployment_id);
      const wf = dep.workflows?.[body.workflow_id];
      if (!wf) {
        throw nonexistentWorkflow(
          `Workflow ${body.workflow_id} does not exist in the deployment ${dep.id}: it has ${Object.keys(dep.workflows ?? {}).join(', ') || 'no workflows'}`,
        );
      }
      const allowCustom = body.allow_custom_parameters ?? false;
      const created = await ctx.executions.create({
        tenantId: tenantOf(req).id,
        creatorId: req.auth.user.id,
        deploymentFk: dep._storage_id,
        blueprintId: dep.blueprint_id,
        workflowId: body.workflow_id,
        parameters: mergeWorkflowParameters(
          wf.parameters as Record<string, WorkflowParamDecl> | undefined,
          body.parameters ?? {},
          allowCustom,
        ),
        isDryRun: body.dry_run ?? false,
        allowCustomParameters: allowCustom,
        queue: body.queue ?? false,
        force: body.force ?? false,
        visibility: dep.visibility,
      });
      return reply.code(201).send(publicRow(await getExecution(ctx.db, scope, created.id)));
    },
  );
}

function registerChanges(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
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
      const { id } = req.params;
      const scope = scopeOf(req);
      const ex = await getExecution(db, scope, id, ['id', 'status']);
      await ctx.executions.act(
        { id, storageId: ex.__storage_id, status: String(ex.status) },
        req.body.action,
      );
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
      const { id } = req.params;
      const scope = scopeOf(req);
      const before = await getExecution(db, scope, id);
      const r = await ctx.executions.updateStatus(id, req.body.status, req.body.error, tenantOf(req).id);
      if (r.deploymentDeleted) {
        // The execution went with its deployment: answer with what it was.
        return { ...publicRow(before), status: r.status, status_display: statusDisplay(r.status) };
      }
      return publicRow(await getExecution(db, scope, id));
    },
  );
}
