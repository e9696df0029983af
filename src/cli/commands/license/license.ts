// `cfy license upload|list`: the license file goes up as raw bytes (PUT /license).
import { existsSync, readFileSync } from 'node:fs';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

const COLUMNS = [
  'customer_id',
  'expiration_date',
  'license_edition',
  'trial',
  'cloudify_version',
  'capabilities',
  'expired',
];

export const actions = {
  async upload(c: Ctx, _o: unknown, path: string) {
    if (!existsSync(path))
      throw usageError(`License file ${path} does not exist`, 'give the path of the license file');
    c.out.info('Uploading license...');
    await c.client().license.upload(readFileSync(path));
    c.out.info('License uploaded successfully');
  },
  async list(c: Ctx) {
    c.out.info('Retrieving Cloudify License');
    const r = await c.client().license.list();
    c.out.table('Cloudify License', COLUMNS, r.items);
  },
};
