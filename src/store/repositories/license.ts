// The license: at most one row, replaced on each upload. The signature is stored as uploaded.
import type { Db } from '../port.js';
import { ts } from './common.js';

/** A license file's fields, as parsed from the uploaded YAML. */
export interface LicenseFields {
  customer_id: string;
  expiration_date: Date | null;
  license_edition: string | null;
  trial: boolean;
  cloudify_version: string | null;
  capabilities: string[] | null;
  signature: string | null;
}

/**
 * A license as the API shows it (no signature), with whether it has expired. A type alias rather than an
 * interface, so that it is assignable to the route's response type (a record).
 */
export type LicenseView = {
  customer_id: string;
  expiration_date: string | null;
  license_edition: string | null;
  trial: boolean;
  cloudify_version: string | null;
  capabilities: string[] | null;
  expired: boolean;
};

const SELECT = `SELECT customer_id, ${ts('expiration_date')} AS expiration_date,
  license_edition, trial, cloudify_version, capabilities,
  coalesce(expiration_date < now(), false) AS expired
  FROM licenses`;

/** Replaces the current license with `lic`, in one transaction. */
export async function replaceLicense(db: Db, lic: LicenseFields): Promise<LicenseView> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM licenses');
    await tx.query(
      `INSERT INTO licenses (customer_id, expiration_date, license_edition, trial, cloudify_version, capabilities, signature)
       VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7)`,
      [
        lic.customer_id,
        lic.expiration_date,
        lic.license_edition,
        lic.trial,
        lic.cloudify_version,
        lic.capabilities === null ? null : JSON.stringify(lic.capabilities),
        lic.signature,
      ],
    );
  });
  const [row] = await db.query<LicenseView>(`${SELECT} WHERE customer_id = $1`, [lic.customer_id]);
  return row;
}

export function listLicenses(db: Db): Promise<LicenseView[]> {
  return db.query<LicenseView>(`${SELECT} ORDER BY id`);
}

export async function deleteLicenses(db: Db): Promise<void> {
  await db.query('DELETE FROM licenses');
}
