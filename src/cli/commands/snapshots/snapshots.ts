// `cfy snapshots`: /snapshots with 5.1's columns and lines (cloudify_cli/commands/snapshots.py).
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { type Action, type ListOpts, listParams } from '../shared.js';

const COLUMNS = ['id', 'created_at', 'status', 'error', 'visibility', 'tenant_name', 'created_by'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

/** 5.1's generate_suffixed_id: `snapshot_` and six upper-case letters or digits. */
function suffixedId(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `snapshot_${Array.from({ length: 6 }, () => chars[randomInt(chars.length)]).join('')}`;
}

function checkId(id: string): string {
  if (!ID.test(id))
    throw usageError(
      `The snapshot id "${id}" is invalid`,
      'use up to 256 letters, digits and the characters "-", "." and "_"',
    );
  return id;
}

const explicitTenant = (c: Ctx, t?: string) => {
  if (t) c.out.info(`Explicitly using tenant \`${t}\``);
};

type CreateOpts = {
  excludeCredentials?: boolean;
  excludeLogs?: boolean;
  excludeEvents?: boolean;
  queue?: boolean;
};
type RestoreOpts = {
  withoutDeploymentEnvs?: boolean;
  force?: boolean;
  restoreCertificates?: boolean;
  reboot?: boolean;
  ignorePluginFailure?: boolean;
};

export const actions: Record<string, Action> = {
  async create(c: Ctx, o: CreateOpts, id?: string) {
    const sid = checkId(id ?? suffixedId());
    c.out.info(`Creating snapshot ${sid}...`);
    const e = await c.client().snapshots.create(sid, {
      credentials: !o.excludeCredentials,
      logs: !o.excludeLogs,
      events: !o.excludeEvents,
      queue: Boolean(o.queue),
    });
    if (e.status === 'queued')
      c.out.info(
        `\`queue\` flag was passed, snapshot creation will start automatically when possible. Execution id: ${e.id}`,
      );
    else c.out.info(`Started workflow execution. The execution's id is ${e.id}.`);
    if (c.out.json) c.out.jsonValue(e);
  },
  async restore(c: Ctx, o: RestoreOpts, id: string) {
    c.out.info(`Restoring snapshot ${id}...`);
    const noReboot = o.reboot === false;
    const e = await c.client().snapshots.restore(id, {
      recreateDeploymentsEnvs: !o.withoutDeploymentEnvs,
      force: Boolean(o.force),
      restoreCertificates: Boolean(o.restoreCertificates),
      noReboot,
      ignorePluginFailure: Boolean(o.ignorePluginFailure),
    });
    c.out.info(
      `Started workflow execution. The execution's id is ${e.id}. You can use \`cfy snapshots status\` to check for the restore status.`,
    );
    if (c.out.json) c.out.jsonValue(e);
    if (!o.restoreCertificates) return;
    if (noReboot)
      c.out.warn(
        'Certificates might be replaced during a snapshot restore action. It is recommended that you reboot the Manager VM when the execution is terminated, or several services might not work.',
      );
    else
      c.out.info(
        'In the event of a certificates restore action, the Manager VM will automatically reboot after execution is terminated. After reboot the Manager can work with the restored certificates.',
      );
  },
  async status(c: Ctx) {
    c.out.info('Retrieving snapshot restore status...');
    const { status } = await c.client().snapshots.status();
    if (status === 'running')
      c.out.info('Snapshot restore in progress... This may take a while, depending on the snapshot size');
    else if (status === 'not-running') c.out.info('No snapshot is currently being restored');
    else c.out.error(`Unrecognized status received: ${JSON.stringify({ status })}`);
    if (c.out.json) c.out.jsonValue({ status });
  },
  async list(c: Ctx, o: ListOpts) {
    explicitTenant(c, o.tenantName);
    c.out.info('Listing snapshots...');
    const r = await c.client({ tenant: o.tenantName }).snapshots.list(listParams(o));
    c.out.table('Snapshots:', COLUMNS, r.items, { total: r.metadata.pagination.total, what: 'snapshots' });
  },
  async download(c: Ctx, o: { outputPath?: string; tenantName?: string }, id: string) {
    explicitTenant(c, o.tenantName);
    c.out.info(`Downloading snapshot ${id}...`);
    const bytes = await c.client({ tenant: o.tenantName }).snapshots.download(id);
    const out = resolve(o.outputPath ?? `${id}.zip`);
    writeFileSync(out, bytes);
    c.out.info(`Snapshot downloaded as ${out}`);
    if (c.out.json) c.out.jsonValue({ id, path: out });
  },
  async upload(c: Ctx, o: { snapshotId?: string; tenantName?: string }, path: string) {
    explicitTenant(c, o.tenantName);
    const sid = checkId(o.snapshotId ?? suffixedId());
    const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !existsSync(path);
    if (!isUrl && !existsSync(path))
      throw usageError(
        `The snapshot file ${path} does not exist`,
        'give the path of a downloaded snapshot or a URL',
      );
    c.out.info(`Uploading snapshot ${path}...`);
    const snap = await c
      .client({ tenant: o.tenantName })
      .snapshots.upload(sid, isUrl ? { url: path } : { archive: readFileSync(path) });
    c.out.info(`Snapshot uploaded. The snapshot's id is ${snap.id}`);
    if (c.out.json) c.out.jsonValue(snap);
  },
  async delete(c: Ctx, o: { tenantName?: string }, id: string) {
    explicitTenant(c, o.tenantName);
    c.out.info(`Deleting snapshot ${id}...`);
    await c.client({ tenant: o.tenantName }).snapshots.delete(id);
    c.out.info('Snapshot deleted successfully');
  },
};
