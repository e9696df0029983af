import { readFileSync } from 'node:fs';
import type { Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { type ListOpts, listParams } from '../shared.js';

const COLUMNS = [
  'key',
  'created_at',
  'updated_at',
  'visibility',
  'tenant_name',
  'created_by',
  'is_hidden_value',
];

interface ValueOpts {
  secretString?: string;
  secretFile?: string;
}

function value(o: ValueOpts, required: boolean): string | undefined {
  if (o.secretString !== undefined && o.secretFile !== undefined)
    throw usageError('Give the value with either -s/--secret-string or -f/--secret-file, not both');
  if (o.secretFile !== undefined) return readFileSync(o.secretFile, 'utf8');
  if (o.secretString === undefined && required)
    throw usageError('Missing the secret value', 'give it with -s/--secret-string or -f/--secret-file');
  return o.secretString;
}

export async function create(
  c: Ctx,
  o: ValueOpts & {
    updateIfExists?: boolean;
    hiddenValue?: boolean;
    visibility: Visibility;
    tenantName?: string;
  },
  key: string,
): Promise<void> {
  const v = value(o, true)!;
  await c.client({ tenant: o.tenantName }).secrets.create(key, v, {
    updateIfExists: o.updateIfExists,
    hidden: o.hiddenValue,
    visibility: o.visibility,
  });
  c.out.info(`Secret \`${key}\` created`);
}

export async function get(c: Ctx, o: { tenantName?: string }, key: string): Promise<void> {
  c.out.info(`Getting info for secret \`${key}\`...`);
  const s = await c.client({ tenant: o.tenantName }).secrets.get(key);
  const shown = { ...s, value: s.is_hidden_value && !s.value ? '*********' : s.value };
  c.out.single('Requested secret info:', [...COLUMNS, 'value'], shown);
}

export async function list(c: Ctx, o: ListOpts): Promise<void> {
  c.out.info('Listing all secrets...');
  const r = await c.client({ tenant: o.tenantName }).secrets.list(listParams(o));
  c.out.table('Secrets:', COLUMNS, r.items, { total: r.metadata.pagination.total, what: 'secrets' });
}

export async function update(
  c: Ctx,
  o: ValueOpts & { hiddenValue?: boolean; visibleValue?: boolean; tenantName?: string },
  key: string,
): Promise<void> {
  if (o.hiddenValue && o.visibleValue) throw usageError('Give --hidden-value or --visible-value, not both');
  const v = value(o, false);
  const hidden = o.hiddenValue ? true : o.visibleValue ? false : undefined;
  if (v === undefined && hidden === undefined)
    throw usageError('Nothing to update', 'give a new value (-s/-f) or --hidden-value/--visible-value');
  await c.client({ tenant: o.tenantName }).secrets.update(key, { value: v, hidden });
  c.out.info(`Secret \`${key}\` updated`);
}

export async function remove(c: Ctx, o: { tenantName?: string }, key: string): Promise<void> {
  await c.client({ tenant: o.tenantName }).secrets.delete(key);
  c.out.info(`Secret removed`);
}
