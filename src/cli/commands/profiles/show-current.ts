// `cfy profiles show-current`: the active profile as a one-row table, plus its cluster managers.
import type { Ctx } from '../../context.js';
import { LOCAL_PROFILE } from '../../profiles/store.js';
import { PROFILE_COLUMNS } from './columns.js';

export async function run(c: Ctx): Promise<void> {
  const name = c.store.activeName();
  if (!name || name === LOCAL_PROFILE) {
    c.out.info(
      "You're currently working in local mode. To use a manager run `cfy profiles use <manager-ip>`",
    );
    return;
  }
  const p = c.profile();
  const managers = p.cluster.manager ?? [];
  if (c.out.json) {
    c.out.jsonValue({
      ...Object.fromEntries(
        PROFILE_COLUMNS.map((col) => [col.key, col.get ? col.get(p) : (p as never)[col.key]]),
      ),
      cluster: p.cluster,
      last_good_manager: p.last_good_manager ?? null,
    });
    return;
  }
  c.out.table('Active profile:', PROFILE_COLUMNS, [p]);
  if (managers.length)
    c.out.table(
      'Cluster nodes:',
      [
        { key: 'hostname', label: 'Manager hostname' },
        { key: 'host_ip', label: 'Manager ip' },
      ],
      managers,
    );
}
