// What the snapshot routes share: the 5.1 snapshot body, the id rule and the visible-row lookup.
import type { FastifyRequest } from 'fastify';
import { badParameters, notFoundResource } from '../common/errors.js';
import { findSnapshot, type SnapshotRow } from '../store/repositories/snapshots.js';
import { type ManagerContext, scopeOf } from './context.js';
import { Bool, NStr, resource, Str } from './schemas/common.js';

export const SnapshotBody = resource({
  id: Str,
  created_at: Str,
  status: Str,
  error: NStr,
  visibility: Str,
  tenant_name: NStr,
  created_by: NStr,
  private_resource: Bool,
  resource_availability: Str,
});
const VALID_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

export function checkSnapshotId(id: string): void {
  if (!VALID_ID.test(id))
    throw badParameters(
      `The snapshot_id argument "${id}" is invalid: use up to 256 letters, digits and the characters "-", "." and "_"`,
    );
}

export async function getSnapshot(
  ctx: ManagerContext,
  req: FastifyRequest,
  id: string,
): Promise<SnapshotRow> {
  const row = await findSnapshot(ctx.db, scopeOf(req), id);
  if (!row) throw notFoundResource('Snapshot', id);
  return row;
}
