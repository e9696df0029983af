// `cfy cluster update-profile`: refresh the profile's node list from the manager.
import type { Ctx } from '../../context.js';
import { applyClusterNodes, fetchClusterNodes, isAllInOne } from './refresh.js';

export async function run(c: Ctx): Promise<void> {
  const p = c.profile();
  const client = c.client();
  c.out.info('Updating the profile with the cluster nodes...');
  const nodes = await fetchClusterNodes(client);
  if (!nodes) {
    c.out.warn('The manager does not list its cluster nodes (/managers): it may be of an older version.');
    return;
  }
  if (isAllInOne(nodes))
    c.out.warn('You are trying to run cluster related commands on an all-in-one Cloudify Manager!');
  const fresh = c.store.load(p.name) ?? p;
  const n = applyClusterNodes(fresh, nodes);
  c.store.save(fresh);
  c.out.info(`Profile is up to date with ${n} nodes`);
}
