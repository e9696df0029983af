// Deployments (rest-api.md §1.4): list/get, create (row + create_deployment_environment, sync or
// async), delete (delete_deployment_environment, or directly without a worker), outputs,
// capabilities, and the worker's attribute PATCH.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../store/port.js';
import { hasPermission } from '../auth/permissions.js';
import type { ManagerContext } from '../context.js';
import { scopeOf, tenantOf } from '../context.js';
import {
  DEPLOYMENTS,
  findDeployment,
  getDeploymentView,
  renderDeployment,
} from '../../store/repositories/deployments.js';
import { DeploymentBody } from '../schemas/deployments.js';
import {
  badParameters,
  CloudifyError,
  conflict,
  dependentExists,
  deploymentCreation,
  forbidden,
  missingRequiredInput,
  notFoundResource,
  unknownInput,
} from '../../common/errors.js';
import { ACTIVE_STATES, isEnd } from '../../executions/status.js';
import { sqlArray } from '../../store/repositories/common.js';
import { listResources, parseInclude, type Scope, scopeSql } from '../../store/repositories/list.js';
import {
  Any,
  Bool,
  errorResponses,
  IdParam,
  Include,
  ListQuery,
  listOf,
  NStr,
  Str,
  Visibility,
} from '../schemas/common.js';

/** How long a synchronous create waits for create_deployment_environment (Cloudify: 1 s × 120). */
export const deploymentCreateWait = { intervalMs: 250, timeoutMs: 120_000 };

const VALID_ID = /^[^\s/\\:*?"<>|%#&+]+$/;
const Obj = Type.Record(Type.String(), Any);

const CreateBody = Type.Object(
  {
    blueprint_id: Str,
    inputs: Type.Optional(Type.Union([Obj, Type.Null()])),
    visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
    labels: Type.Optional(Type.Union([Type.Array(Obj), Type.Null()])),
    site_name: Type.Optional(NStr),
    skip_plugins_validation: Type.Optional(Bool),
    runtime_only_evaluation: Type.Optional(Bool),
    display_name: Type.Optional(NStr),
  },
  { additionalProperties: true },
);

const PatchBody = Type.Object(
  {
    description: Type.Optional(NStr),
    workflows: Type.Optional(Any),
    inputs: Type.Optional(Obj),
    outputs: Type.Optional(Obj),
    capabilities: Type.Optional(Obj),
    scaling_groups: Type.Optional(Obj),
    groups: Type.Optional(Obj),
    policy_types: Type.Optional(Obj),
    policy_triggers: Type.Optional(Obj),
    resource_tags: Type.Optional(Type.Union([Obj, Type.Null()])),
    display_name: Type.Optional(NStr),
    labels: Type.Optional(Type.Array(Obj)),
  },
  { additionalProperties: true },
);

const truthy = (v: unknown) => v === true || v === 'true' || v === 'True';

/** Labels arrive as [{key: value}] (the client) or [{key, value}]. */
function parseLabels(raw: unknown[] | null | undefined): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const l of raw ?? []) {
    const o = l as Record<string, unknown>;
    if (typeof o.key === 'string' && 'value' in o) out.push({ key: o.key, value: String(o.value) });
    else {
      const entries = Object.entries(o);
      if (entries.length !== 1) throw badParameters('Each label must be a single-key dict {key: value}');
      out.push({ key: entries[0][0], value: String(entries[0][1]) });
    }
  }
  return out;
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

async function insertLabels(
  db: Db,
  depFk: number,
  creator: number,
  labels: { key: string; value: string }[],
) {
  for (const l of labels) {
    await db.query(
      `INSERT INTO deployments_labels (key, value, _labeled_model_fk, _creator_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key, value, _labeled_model_fk) DO NOTHING`,
      [l.key, l.value, depFk, creator],
    );
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function registerDeploymentRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  const { db, config } = ctx;

  app.get(
    '/deployments',
    {
      config: { permission: 'deployment_list', tenant: true },
      schema: {
        summary: 'List deployments',
        querystring: ListQuery,
        response: { 200: listOf(DeploymentBody), ...errorResponses },
      },
    },
    async (req) => {
      const query = req.query as Record<string, unknown>;
      const where: { sql: string; params: unknown[] }[] = [];
      if (typeof query._search_name === 'string') {
        where.push({
          sql: 'coalesce(t.display_name, t.id) ILIKE $1',
          params: [`%${query._search_name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
        });
      }
      const r = await listResources(db, config, DEPLOYMENTS, { query, scope: scopeOf(req), where });
      return { ...r, items: r.items.map(renderDeployment) };
    },
  );

  app.get(
    '/deployments/:id',
    {
      config: { permission: 'deployment_get', tenant: true },
      schema: { params: IdParam, querystring: Include, response: { 200: DeploymentBody, ...errorResponses } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const include = parseInclude(DEPLOYMENTS, (req.query as { _include?: string })._include);
      return getDeploymentView(db, scopeOf(req), id, include);
    },
  );

  app.put(
    '/deployments/:id',
    {
      config: { permission: 'deployment_create', tenant: true },
      schema: {
        summary: 'Create a deployment from an uploaded blueprint',
        params: IdParam,
        querystring: Type.Object(
          { private_resource: Type.Optional(Bool), async_create: Type.Optional(Bool) },
          { additionalProperties: true },
        ),
        body: CreateBody,
        response: { 201: DeploymentBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const query = req.query as { private_resource?: boolean; async_create?: boolean };
      const body = req.body as {
        blueprint_id: string;
        inputs?: Record<string, unknown> | null;
        visibility?: string | null;
        labels?: Record<string, unknown>[] | null;
        site_name?: string | null;
        skip_plugins_validation?: boolean;
        runtime_only_evaluation?: boolean;
        display_name?: string | null;
      };
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
      const bp = await findBlueprint(db, scope, body.blueprint_id);
      if (bp.state !== 'uploaded') {
        throw deploymentCreation(
          `Can't create deployment ${id} - blueprint ${bp.id} is in state ${bp.state}, it must be uploaded`,
        );
      }
      const inputs = body.inputs ?? {};
      const plan = bp.plan ?? undefined;
      if (plan) validateInputs(plan.inputs, inputs);
      const labels = parseLabels(body.labels);
      const exists = await db.query('SELECT 1 FROM deployments WHERE id = $1 AND _tenant_id = $2', [
        id,
        tenant.id,
      ]);
      if (exists.length) throw conflict(`deployment with id \`${id}\` already exists`);
      const p = (k: string) => JSON.stringify((plan?.[k] as unknown) ?? {});
      const exec = await db.transaction(async (tx) => {
        const [dep] = await tx.query<{ _storage_id: number }>(
          `INSERT INTO deployments (id, visibility, _tenant_id, _creator_id, _blueprint_fk, description, display_name,
           inputs, workflows, groups, policy_types, policy_triggers, scaling_groups, outputs, capabilities,
           runtime_only_evaluation, site_name, deployment_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text::jsonb, $10::text::jsonb, $11::text::jsonb,
           $12::text::jsonb, $13::text::jsonb, $14::text::jsonb, $15::text::jsonb, $16, $17, 'in_progress')
         RETURNING _storage_id`,
          [
            id,
            visibility,
            tenant.id,
            req.auth.user.id,
            bp._storage_id,
            (plan?.description as string | undefined) ?? null,
            body.display_name ?? null,
            JSON.stringify(inputs),
            p('workflows'),
            p('groups'),
            p('policy_types'),
            p('policy_triggers'),
            p('scaling_groups'),
            p('outputs'),
            p('capabilities'),
            body.runtime_only_evaluation ?? false,
            body.site_name ?? null,
          ],
        );
        await insertLabels(tx, dep._storage_id, req.auth.user.id, labels);
        return ctx.executions.insertExecution(tx, {
          tenantId: tenant.id,
          creatorId: req.auth.user.id,
          deploymentFk: dep._storage_id,
          blueprintId: bp.id,
          workflowId: 'create_deployment_environment',
          parameters: {
            inputs,
            labels: labels.map((l) => ({ [l.key]: l.value })),
            display_name: body.display_name ?? id,
            skip_plugins_validation: body.skip_plugins_validation ?? false,
          },
          isSystemWorkflow: true,
          visibility,
        });
      });
      if (exec.status === 'pending') await ctx.executions.dispatch(exec.id);
      if (!query.async_create && ctx.executions.dispatches) await waitForCreate(db, id, exec.id);
      return reply.code(201).send(await getDeploymentView(db, scope, id));
    },
  );

  app.patch(
    '/deployments/:id',
    {
      config: { permission: 'deployment_update', tenant: true },
      schema: {
        summary: 'Set deployment attributes (the worker, after computing the plan)',
        params: IdParam,
        body: PatchBody,
        response: { 200: DeploymentBody, ...errorResponses },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const body = (req.body ?? {}) as Record<string, unknown>;
      const scope = scopeOf(req);
      const dep = await findDeployment(db, scope, id);
      const sets: string[] = [];
      const params: unknown[] = [dep._storage_id];
      const jsonCols = [
        'inputs',
        'outputs',
        'capabilities',
        'scaling_groups',
        'groups',
        'policy_types',
        'policy_triggers',
        'resource_tags',
      ];
      for (const col of jsonCols) {
        if (body[col] === undefined) continue;
        params.push(body[col] === null ? null : JSON.stringify(body[col]));
        sets.push(`${col} = $${params.length}::text::jsonb`);
      }
      if (body.workflows !== undefined) {
        params.push(JSON.stringify(workflowMap(body.workflows)));
        sets.push(`workflows = $${params.length}::text::jsonb`);
      }
      for (const col of ['description', 'display_name']) {
        if (body[col] === undefined) continue;
        params.push(body[col]);
        sets.push(`${col} = $${params.length}`);
      }
      await db.transaction(async (tx) => {
        if (sets.length) {
          await tx.query(
            `UPDATE deployments SET ${sets.join(', ')}, updated_at = now() WHERE _storage_id = $1`,
            params,
          );
        }
        if (Array.isArray(body.labels)) {
          await tx.query('DELETE FROM deployments_labels WHERE _labeled_model_fk = $1', [dep._storage_id]);
          await insertLabels(tx, dep._storage_id, req.auth.user.id, parseLabels(body.labels));
        }
      });
      return getDeploymentView(db, scope, id);
    },
  );

  app.delete(
    '/deployments/:id',
    {
      config: { permission: 'deployment_delete', tenant: true },
      schema: {
        summary: 'Delete a deployment (runs delete_deployment_environment when a worker is attached)',
        params: IdParam,
        querystring: Type.Object(
          {
            force: Type.Optional(Bool),
            delete_logs: Type.Optional(Bool),
            recursive: Type.Optional(Bool),
          },
          { additionalProperties: true },
        ),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const q = req.query as { force?: boolean; delete_logs?: boolean; recursive?: boolean };
      const force = truthy(q.force);
      const scope = scopeOf(req);
      const dep = await findDeployment(db, scope, id);
      const running = await db.query<{ id: string; status: string }>(
        'SELECT id, status FROM executions WHERE _deployment_fk = $1 AND status = ANY($2::text[]) ORDER BY _storage_id',
        [dep._storage_id, sqlArray([...ACTIVE_STATES, 'queued'])],
      );
      if (running.length) {
        throw dependentExists(
          `Can't delete deployment ${id} - There are running or queued executions for this deployment. Running executions ids: ${running.map((r) => r.id).join(',')}`,
        );
      }
      if (!force) {
        const live = await db.query<{ id: string }>(
          `SELECT ni.id FROM node_instances ni JOIN nodes n ON n._storage_id = ni._node_fk
           WHERE n._deployment_fk = $1 AND ni.state NOT IN ('uninitialized', 'deleted') ORDER BY ni._storage_id`,
          [dep._storage_id],
        );
        if (live.length) {
          throw dependentExists(
            `Can't delete deployment ${id} - There are live nodes for this deployment. Live nodes ids: ${live.map((r) => r.id).join(',')}`,
          );
        }
      }
      if (!ctx.executions.dispatches) {
        await db.query('DELETE FROM deployments WHERE _storage_id = $1', [dep._storage_id]);
        return reply.code(204).send();
      }
      await db.query("UPDATE deployments SET deployment_status = 'in_progress' WHERE _storage_id = $1", [
        dep._storage_id,
      ]);
      await ctx.executions.create({
        tenantId: dep._tenant_id,
        creatorId: req.auth.user.id,
        deploymentFk: dep._storage_id,
        blueprintId: dep.blueprint_id,
        workflowId: 'delete_deployment_environment',
        parameters: { delete_logs: q.delete_logs ?? true, force, recursive: truthy(q.recursive) },
        isSystemWorkflow: true,
        visibility: dep.visibility,
      });
      return reply.code(204).send();
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
        schema: {
          params: IdParam,
          response: {
            200: Type.Object({ deployment_id: Str, [kind]: Any }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const dep = await findDeployment(db, scopeOf(req), id);
        return { deployment_id: id, [kind]: await ctx.evaluateOutputs(dep._storage_id, kind) };
      },
    );
  }
}

interface BlueprintRow {
  _storage_id: number;
  id: string;
  state: string;
  plan: Record<string, unknown> | null;
}

async function findBlueprint(db: Db, scope: Scope, id: string): Promise<BlueprintRow> {
  const params: unknown[] = [];
  const where = scopeSql({ ...DEPLOYMENTS, kind: 'Blueprint' }, scope, params);
  params.push(id);
  where.push(`t.id = $${params.length}`);
  const rows = await db.query<BlueprintRow>(
    `SELECT t._storage_id, t.id, t.state, t.plan FROM blueprints t WHERE ${where.join(' AND ')}
     ORDER BY (t._tenant_id = $1) DESC LIMIT 1`,
    params,
  );
  if (rows.length === 0) throw notFoundResource('Blueprint', id);
  return rows[0];
}

/** Sync create: wait for create_deployment_environment to end (bounded). */
async function waitForCreate(db: Db, depId: string, execId: string): Promise<void> {
  const deadline = Date.now() + deploymentCreateWait.timeoutMs;
  for (;;) {
    const [ex] = await db.query<{ status: string; error: string }>(
      'SELECT status, error FROM executions WHERE id = $1',
      [execId],
    );
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
