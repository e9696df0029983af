// `cfy cluster status`: GET /cluster-status?summary=False; a table per service, or the whole document.
// Unlike Cloudify (which exits 0), a `Fail` cluster exits non-zero so scripts can test it.
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';

export async function run(c: Ctx): Promise<void> {
  const client = c.client();
  c.out.info(`Retrieving Cloudify cluster status... [ip=${c.profile().manager_ip}]`);
  const status = await client.manager.clusterStatus();
  if (c.out.json) {
    c.out.jsonValue(status);
  } else {
    c.out.info(`Current cluster status is ${status.status}:`);
    const rows = Object.entries(status.services ?? {}).map(([service, s]) => ({ service, status: s.status }));
    c.out.table('Cluster status services:', ['service', 'status'], rows);
  }
  if (status.status === 'Fail')
    throw new CliError('The cluster status is Fail', {
      fix: 'see `cfy cluster status --json` for the failing nodes',
    });
}
