// Licenses (rest-api.md §1.1): upload the raw YAML license file, list it, remove it. Cloudify checks
// the signature against its own vendor key pair, which we do not have: the signature is kept as
// uploaded and not verified (docs/decisions.md, "License signatures are stored, not verified").
import { Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import {
  deleteLicenses,
  type LicenseFields,
  listLicenses,
  replaceLicense,
} from '../../store/repositories/license.js';
import type { Api, ManagerContext } from '../context.js';
import { badParameters } from '../../common/errors.js';
import { storableDate } from '../../common/dates.js';
import { Any, Bool, errorResponses, listOf, NStr, resource, Str } from '../schemas/common.js';

const LicenseBody = resource({
  customer_id: Str,
  expiration_date: NStr,
  license_edition: NStr,
  trial: Bool,
  cloudify_version: NStr,
  capabilities: Any,
  expired: Bool,
});

const bad = (why: string) =>
  badParameters(
    `The license file is not valid: ${why}. Upload the YAML file you received from Cloudify, ` +
      'with a `license` mapping (customer_id, expiration_date, license_edition, trial, cloudify_version, capabilities) and a `signature`',
  );

function asText(name: string, v: unknown, required = false): string | null {
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(`\`${name}\` is missing`);
    return null;
  }
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw bad(`\`${name}\` must be a string, got ${JSON.stringify(v)}`);
}

/** Dates come as MM/DD/YYYY in Cloudify's license files; ISO dates are accepted too. */
function asDate(v: unknown): Date | null {
  if (v === undefined || v === null || v === '') return null;
  if (v instanceof Date) return v;
  const s = String(v).trim();
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  const d = us
    ? new Date(Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2])))
    : /^\d{4}-\d{2}-\d{2}/.test(s)
      ? new Date(s.length === 10 ? `${s}T00:00:00Z` : s)
      : new Date(Number.NaN);
  if (!storableDate(d)) {
    throw bad(`\`expiration_date\` "${s}" is not a date (use MM/DD/YYYY or YYYY-MM-DD)`);
  }
  return d;
}

/** The raw request body (bytes, or text) as a license; anything else is an empty body. */
export function parseLicense(raw: unknown): LicenseFields {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') throw bad('the request body is empty');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw bad(`it is not YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad('it is not a YAML mapping');
  const top = doc as Record<string, unknown>;
  const lic = (top.license ?? top) as Record<string, unknown>;
  if (!lic || typeof lic !== 'object' || Array.isArray(lic)) throw bad('`license` is not a mapping');
  let capabilities: string[] | null = null;
  if (lic.capabilities !== undefined && lic.capabilities !== null) {
    if (!Array.isArray(lic.capabilities)) throw bad('`capabilities` must be a list');
    capabilities = lic.capabilities.map(String);
  }
  const trial = lic.trial ?? false;
  if (typeof trial !== 'boolean') throw bad('`trial` must be true or false');
  const sig = top.signature ?? lic.signature;
  const signature =
    sig === undefined || sig === null
      ? null
      : sig instanceof Uint8Array
        ? Buffer.from(sig).toString('base64')
        : typeof sig === 'string'
          ? sig.trim()
          : null;
  if (sig !== undefined && sig !== null && signature === null)
    throw bad('`signature` must be text or binary');
  return {
    customer_id: asText('customer_id', lic.customer_id, true)!,
    expiration_date: asDate(lic.expiration_date),
    license_edition: asText('license_edition', lic.license_edition),
    trial,
    cloudify_version: asText('cloudify_version', lic.cloudify_version),
    capabilities,
    signature,
  };
}

export async function registerLicenseRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  const { db } = ctx;

  app.put(
    '/license',
    {
      // The Python client sends the raw YAML file (content-type application/json, chunked).
      config: { permission: 'license_upload', rawBody: true },
      schema: {
        summary: 'Upload a license file (raw YAML body); it replaces the current license',
        response: { 200: LicenseBody, ...errorResponses },
      },
    },
    async (req) => replaceLicense(db, parseLicense(req.body)),
  );

  app.get(
    '/license',
    {
      config: { permission: 'license_list' },
      schema: {
        summary: 'List the registered license',
        querystring: Type.Object({}, { additionalProperties: true }),
        response: { 200: listOf(LicenseBody), ...errorResponses },
      },
    },
    async () => {
      const rows = await listLicenses(db);
      return {
        items: rows,
        metadata: { pagination: { total: rows.length, size: rows.length, offset: 0 }, filtered: null },
      };
    },
  );

  app.delete(
    '/license',
    {
      // Cloudify's permission is license_remove; it is held by sys_admin only, like license_upload.
      config: { permission: 'license_upload' },
      schema: {
        summary: 'Remove the current license',
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (_req, reply) => {
      await deleteLicenses(db);
      return reply.code(204).send(null);
    },
  );
}
