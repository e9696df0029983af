// GET /snapshots/{id}/archive (download, with Content-Length) and PUT /snapshots/{id}/archive (upload:
// the raw body, or ?snapshot_archive_url= fetched by the manager). An upload is checked to be a
// Stratus snapshot archive before it is kept (decision 28); anything else is one clear 400.
import { Type } from 'typebox';
import { badParameters, snapshotAction } from '../../common/errors.js';
import { readSnapshotMetadata } from '../../store/files/snapshot-archive.js';
import { publicRow } from '../../store/repositories/list.js';
import {
  deleteSnapshot,
  insertSnapshot,
  readSnapshotArchive,
  storeSnapshotArchive,
} from '../../store/repositories/snapshots.js';
import { type Api, type ManagerContext, tenantOf } from '../context.js';
import { ErrorBody, errorResponses, IdParam } from '../schemas/common.js';
import { checkSnapshotId, getSnapshot, SnapshotBody } from '../snapshots.js';

/** The largest archive accepted by an upload. */
const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024;
const UploadQuery = Type.Object(
  { snapshot_archive_url: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: true },
);

async function fetchArchive(url: string): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url))
    throw badParameters(`snapshot_archive_url must be an http or https URL, got "${url}"`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(300_000), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw badParameters(`Cannot fetch ${url}: ${cause ?? (e as Error).message}`);
  }
  if (!res.ok) throw badParameters(`Cannot fetch ${url}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > MAX_ARCHIVE_BYTES) throw badParameters(`The archive at ${url} is larger than 1 GiB`);
  return body;
}

export function registerSnapshotArchiveRoutes(app: Api, ctx: ManagerContext): void {
  app.get(
    '/snapshots/:id/archive',
    {
      config: { permission: 'snapshot_download', tenant: true },
      schema: { params: IdParam, response: { 200: Type.Unknown(), ...errorResponses } },
    },
    async (req, reply) => {
      const snap = await getSnapshot(ctx, req, req.params.id);
      if (snap.status === 'failed') throw snapshotAction('Failed snapshot cannot be downloaded');
      if (snap.status !== 'created' && snap.status !== 'uploaded')
        throw snapshotAction(
          `Snapshot ${snap.id} is ${snap.status}: download it once it is created or uploaded`,
        );
      const archive = await readSnapshotArchive(ctx.db, snap.__storage_id);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(archive.length))
        .header('content-disposition', `attachment; filename=${snap.id}.zip`)
        .send(archive);
    },
  );

  app.put(
    '/snapshots/:id/archive',
    {
      config: { permission: 'snapshot_upload', tenant: true, rawBody: true },
      bodyLimit: MAX_ARCHIVE_BYTES,
      schema: {
        summary: 'Upload a snapshot archive (the body, or snapshot_archive_url)',
        params: IdParam,
        querystring: UploadQuery,
        response: { 201: SnapshotBody, ...errorResponses, 413: ErrorBody },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      checkSnapshotId(id);
      const url = req.query.snapshot_archive_url;
      const body = req.body;
      const archive = url ? await fetchArchive(url) : Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      if (archive.length === 0)
        throw badParameters(
          'Missing the snapshot archive: send the file as the request body, or snapshot_archive_url',
        );
      try {
        readSnapshotMetadata(archive);
      } catch (e) {
        throw badParameters((e as Error).message);
      }
      const tenant = tenantOf(req);
      const sid = await insertSnapshot(ctx.db, {
        id,
        status: 'uploading',
        tenantId: tenant.id,
        creatorId: req.auth.user.id,
      });
      try {
        await storeSnapshotArchive(ctx.db, sid, archive, 'uploaded');
      } catch (e) {
        await deleteSnapshot(ctx.db, sid);
        throw e;
      }
      return reply.code(201).send(publicRow(await getSnapshot(ctx, req, id)));
    },
  );
}
