// Snapshots (rest-api.md §1.9, 5.1's resources_v2/snapshots.py): GET /snapshots, PUT (create: the
// create_snapshot system workflow) | GET | DELETE | PATCH /snapshots/{id}, GET | PUT /snapshots/{id}/archive
// (download, upload or snapshot_archive_url), POST /snapshots/{id}/restore (restore_snapshot).
import { Type } from 'typebox';
import { badParameters, existingRunningExecution, snapshotAction } from '../../common/errors.js';
import { ACTIVE_STATES } from '../../executions/status.js';
import { getExecution } from '../../store/repositories/executions.js';
import { listResources, publicRow } from '../../store/repositories/list.js';
import {
  deleteSnapshot,
  executionIdsIn,
  findSnapshot,
  insertSnapshot,
  SNAPSHOTS,
  setSnapshotStatus,
} from '../../store/repositories/snapshots.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import { ExecutionBody } from '../schemas/executions.js';
import { errorResponses, Flag, IdParam, ListQuery, listOf, NStr } from '../schemas/common.js';
import { registerSnapshotArchiveRoutes } from './snapshot-archive.js';
import { checkSnapshotId, getSnapshot, SnapshotBody } from '../snapshots.js';

const CreateBody = Type.Object(
  { include_credentials: Flag, include_logs: Flag, include_events: Flag, queue: Flag },
  { additionalProperties: true },
);
const RestoreBody = Type.Object(
  {
    recreate_deployments_envs: Flag,
    force: Flag,
    restore_certificates: Flag,
    no_reboot: Flag,
    ignore_plugin_failure: Flag,
    timeout: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: true },
);
const StatusBody = Type.Object(
  {
    status: Type.Union(
      ['creating', 'created', 'failed', 'uploading', 'uploaded'].map((s) => Type.Literal(s)),
    ),
    error: Type.Optional(NStr),
  },
  { additionalProperties: false },
);
/** 5.1's check before a system-wide workflow: no other execution may be active. */
async function assertNoActive(ctx: ManagerContext): Promise<void> {
  const ids = await executionIdsIn(ctx.db, ACTIVE_STATES);
  if (ids.length)
    throw existingRunningExecution(
      `You cannot start a system-wide execution if there are other executions running. Currently running executions: [${ids.map((i) => `'${i}'`).join(', ')}]`,
    );
}

export async function registerSnapshotRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerReads(app, ctx);
  registerCreate(app, ctx);
  registerRestore(app, ctx);
  registerSnapshotArchiveRoutes(app, ctx);
}

function registerReads(app: Api, ctx: ManagerContext): void {
  app.get(
    '/snapshots',
    {
      config: { permission: 'snapshot_list', tenant: true },
      schema: {
        summary: 'List snapshots',
        querystring: ListQuery,
        response: { 200: listOf(SnapshotBody), ...errorResponses },
      },
    },
    async (req) => listResources(ctx.db, ctx.config, SNAPSHOTS, { query: req.query, scope: scopeOf(req) }),
  );
  app.get(
    '/snapshots/:id',
    {
      config: { permission: 'snapshot_get', tenant: true },
      schema: { params: IdParam, response: { 200: SnapshotBody, ...errorResponses } },
    },
    async (req) => publicRow(await getSnapshot(ctx, req, req.params.id)),
  );
  app.delete(
    '/snapshots/:id',
    {
      config: { permission: 'snapshot_delete', tenant: true },
      schema: { params: IdParam, response: { 200: SnapshotBody, ...errorResponses } },
    },
    async (req) => {
      const row = await getSnapshot(ctx, req, req.params.id);
      await deleteSnapshot(ctx.db, row.__storage_id);
      return publicRow(row);
    },
  );
  app.patch(
    '/snapshots/:id',
    {
      config: { permission: 'snapshot_status_update', tenant: true },
      schema: { params: IdParam, body: StatusBody, response: { 200: SnapshotBody, ...errorResponses } },
    },
    async (req) => {
      await getSnapshot(ctx, req, req.params.id);
      await setSnapshotStatus(ctx.db, req.params.id, req.body.status, req.body.error ?? '');
      return publicRow(await getSnapshot(ctx, req, req.params.id));
    },
  );
}

function registerCreate(app: Api, ctx: ManagerContext): void {
  app.put(
    '/snapshots/:id',
    {
      config: { permission: 'snapshot_create', tenant: true },
      schema: {
        summary: 'Create a snapshot (runs the create_snapshot workflow)',
        params: IdParam,
        body: CreateBody,
        response: { 201: ExecutionBody, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      checkSnapshotId(id);
      const b = req.body;
      if (!b.queue) await assertNoActive(ctx);
      const tenant = tenantOf(req);
      await insertSnapshot(ctx.db, {
        id,
        status: 'creating',
        tenantId: tenant.id,
        creatorId: req.auth.user.id,
      });
      const created = await ctx.executions
        .create({
          tenantId: tenant.id,
          creatorId: req.auth.user.id,
          deploymentFk: null,
          blueprintId: null,
          workflowId: 'create_snapshot',
          parameters: {
            snapshot_id: id,
            include_credentials: b.include_credentials ?? true,
            include_logs: b.include_logs ?? true,
            include_events: b.include_events ?? true,
          },
          isSystemWorkflow: true,
          queue: b.queue ?? false,
        })
        .catch(async (e) => {
          const row = await findSnapshot(ctx.db, scopeOf(req), id);
          if (row) await deleteSnapshot(ctx.db, row.__storage_id);
          throw e;
        });
      return reply.code(201).send(publicRow(await getExecution(ctx.db, scopeOf(req), created.id)));
    },
  );
}

function registerRestore(app: Api, ctx: ManagerContext): void {
  app.post(
    '/snapshots/:id/restore',
    {
      config: { permission: 'snapshot_restore', tenant: true },
      schema: {
        summary: 'Restore a snapshot (runs the restore_snapshot workflow)',
        params: IdParam,
        body: RestoreBody,
        response: { 200: ExecutionBody, ...errorResponses },
      },
    },
    async (req) => {
      const b = req.body;
      if (b.recreate_deployments_envs === undefined)
        throw badParameters('Request body is missing the recreate_deployments_envs field');
      if (b.no_reboot && !b.restore_certificates)
        throw badParameters('`no_reboot` is only relevant when `restore_certificates` is activated');
      const snap = await getSnapshot(ctx, req, req.params.id);
      if (snap.status === 'failed') throw snapshotAction('Failed snapshot cannot be restored');
      if (snap.status !== 'created' && snap.status !== 'uploaded')
        throw snapshotAction(
          `Snapshot ${snap.id} is ${snap.status}: restore it once it is created or uploaded`,
        );
      await assertNoActive(ctx);
      const created = await ctx.executions.create({
        tenantId: tenantOf(req).id,
        creatorId: req.auth.user.id,
        deploymentFk: null,
        blueprintId: null,
        workflowId: 'restore_snapshot',
        parameters: {
          snapshot_id: snap.id,
          recreate_deployments_envs: b.recreate_deployments_envs,
          force: b.force ?? false,
          timeout: b.timeout ?? 300,
          restore_certificates: b.restore_certificates ?? false,
          no_reboot: b.no_reboot ?? false,
        },
        isSystemWorkflow: true,
      });
      return publicRow(await getExecution(ctx.db, scopeOf(req), created.id));
    },
  );
}
