// Sites (rest-api.md §1.8): a tenant resource named by `name`, with an optional location.
import type { Db } from '../port.js';
import { commonFields, fromWithOwner } from './common.js';
import { findVisible, type ResourceDef, type Scope } from './list.js';

const { id: _id, ...common } = commonFields;
// Python's str(float): a whole number keeps its ".0".
const pyFloat = (c: string) =>
  `CASE WHEN ${c} = trunc(${c}) THEN trunc(${c})::bigint::text || '.0' ELSE ${c}::text END`;
export const SITES: ResourceDef = {
  kind: 'Site',
  from: fromWithOwner('sites'),
  tenantScoped: true,
  fields: {
    name: { sql: 't.name' },
    location: {
      sql: `CASE WHEN t.latitude IS NULL OR t.longitude IS NULL THEN NULL
        ELSE ${pyFloat('t.latitude')} || ', ' || ${pyFloat('t.longitude')} END`,
      filter: false,
    },
    ...common,
  },
};

export interface SiteRow extends Record<string, unknown> {
  name: string;
  visibility: string;
  __storage_id: number;
}

export function findSite(db: Db, scope: Scope, name: string): Promise<SiteRow | undefined> {
  return findVisible<SiteRow>(db, SITES, scope, name);
}

/** Whether `name` is taken in the tenant, or globally. */
export async function siteNameTaken(db: Db, tenantId: number, name: string): Promise<boolean> {
  const rows = await db.query(
    "SELECT 1 FROM sites WHERE id = $1 AND (_tenant_id = $2 OR visibility = 'global')",
    [name, tenantId],
  );
  return rows.length > 0;
}

export interface SiteValues {
  name: string;
  latitude: number | null;
  longitude: number | null;
  visibility: string;
}

export async function insertSite(
  db: Db,
  s: SiteValues & { tenantId: number; creatorId: number },
): Promise<void> {
  await db.query(
    `INSERT INTO sites (id, name, latitude, longitude, visibility, _tenant_id, _creator_id)
     VALUES ($1, $1, $2, $3, $4, $5, $6)`,
    [s.name, s.latitude, s.longitude, s.visibility, s.tenantId, s.creatorId],
  );
}

/** Renames the site and sets its visibility; its location too when `location` is given. */
export async function updateSite(
  db: Db,
  storageId: number,
  s: { name: string; visibility: string; location?: { lat: number | null; long: number | null } },
): Promise<void> {
  const set = s.location !== undefined;
  await db.transaction(async (tx) => {
    // Deployments placed on the site follow its new name.
    await tx.query(
      `UPDATE deployments d SET site_name = $2 FROM sites s
       WHERE s._storage_id = $1 AND d._tenant_id = s._tenant_id AND d.site_name = s.name`,
      [storageId, s.name],
    );
    await tx.query(
      `UPDATE sites SET id = $2, name = $2, visibility = $3,
         latitude = CASE WHEN $4 THEN $5::float8 ELSE latitude END,
         longitude = CASE WHEN $4 THEN $6::float8 ELSE longitude END
       WHERE _storage_id = $1`,
      [storageId, s.name, s.visibility, set, s.location?.lat ?? null, s.location?.long ?? null],
    );
  });
}

/** Deletes the site; deployments placed on it keep their deployments but lose the site. */
export async function deleteSite(db: Db, storageId: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [site] = await tx.query<{ name: string; _tenant_id: number }>(
      'SELECT name, _tenant_id FROM sites WHERE _storage_id = $1',
      [storageId],
    );
    if (!site) return;
    await tx.query('UPDATE deployments SET site_name = NULL WHERE site_name = $1 AND _tenant_id = $2', [
      site.name,
      site._tenant_id,
    ]);
    await tx.query('DELETE FROM sites WHERE _storage_id = $1', [storageId]);
  });
}
