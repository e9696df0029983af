// `cfy cluster status` (cfy-cli.md A.7, cloudify-cli 5.1 `cluster status`): the all-in-one warnings of
// every cluster command, then GET /cluster-status?summary=false; a `service | status` table per service
// type, or the whole document with --json. As in 5.1 it exits 0 whatever the status, and when the status
// request itself is refused it says so on one line and exits 0 too; a manager that cannot be reached at
// all fails as every command does. Stratus names the manager that answered (the cluster profile fails
// over between managers, src/cli/client/transport.ts).
import { CloudifyClientError } from '../../client/errors.js';
import type { CloudifyClient } from '../../client/index.js';
import type { ClusterStatus } from '../../client/types.js';
import { Ctx } from '../../context.js';
import { fetchClusterNodes, isAllInOne } from './refresh.js';

/** cloudify-cli's pass_cluster_client: warn on an all-in-one manager, or on a single manager. */
async function warnLayout(c: Ctx, client: CloudifyClient): Promise<void> {
  const nodes = await fetchClusterNodes(client);
  if (!nodes) return;
  if (nodes.managers.length > 1 || nodes.brokers.length > 1 || nodes.dbs.length > 1) return;
  if (isAllInOne(nodes)) {
    c.out.warn('You are trying to run cluster related commands on an all-in-one Cloudify Manager!');
    return;
  }
  if (nodes.managers.length === 1)
    c.out.warn('It is highly recommended to have more than one manager in a Cloudify cluster');
}

function printStatus(c: Ctx, status: ClusterStatus): void {
  if (c.out.json) {
    c.out.jsonValue(status);
    return;
  }
  const rows = Object.entries(status.services ?? {}).map(([service, s]) => ({
    service: service.padEnd(30),
    status: s.status,
  }));
  c.out.info(`Current cluster status is ${status.status}:`);
  c.out.table('Cluster status services:', ['service', 'status'], rows);
}

export async function run(c: Ctx): Promise<void> {
  const p = c.profile();
  const client = c.client();
  await warnLayout(c, client);
  let status: ClusterStatus;
  try {
    status = await client.manager.clusterStatus();
  } catch (e) {
    if (!(e instanceof CloudifyClientError)) throw e;
    c.out.info(`Retrieving Cloudify cluster status... [ip=${Ctx.ipOf(client)}]`);
    if (e.status === 401) c.out.info('Failed to query Cloudify cluster status: User is unauthorized');
    else c.out.info(`REST service at manager ${Ctx.ipOf(client)} is not responding! ${e.message}`);
    return;
  }
  c.out.info(`Retrieving Cloudify cluster status... [ip=${Ctx.ipOf(client)}]`);
  const node = client.transport.current;
  if ((p.cluster.manager ?? []).length > 0)
    c.out.info(`Answered by manager ${node.name} (${node.host}:${node.port}).`);
  printStatus(c, status);
}
