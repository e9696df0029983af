// The actions of `cfy_manager dbs list|add|remove|reinit|set-master` (dbs.ts), loaded when one runs.
import { requireOwnIp } from '../components/database/cluster.js';
import { isDbCluster } from '../config/derive.js';
import { DBManagementError } from '../errors.js';
import { Logger } from '../log.js';
import { markedServices, requireConfigured, requireOneOf } from '../state.js';
import { formatTable } from '../table.js';
import type { CommonOpts } from './common.js';
import { configPathLabel, loadDerived } from './load-config.js';

const log = new Logger('dbs');
const ACCEPTED = ['database_service', 'manager_service'];

export type AddressOpts = CommonOpts & { address: string };

/** The shared gate: configured, DB or manager here, and a cluster in the config (else exit 0 with a note). */
function prepare(o: CommonOpts, cmd: string) {
  const config = loadDerived(o);
  if (!isDbCluster(config)) {
    log.info('There is no database cluster associated with this node.');
    return undefined;
  }
  requireConfigured(config.services_to_install, configPathLabel(o), cmd);
  requireOneOf(ACCEPTED, cmd);
  // §4.7: a DB node runs the cluster side; a manager (no database_service here) its own side.
  const onDb = markedServices('configured').includes('database_service');
  return { config, onDb, ownIp: onDb ? requireOwnIp(config) : '' };
}

type Prepared = NonNullable<ReturnType<typeof prepare>>;

/** list / reinit / set-master act on the DB cluster itself: on a manager, one line saying where to run them. */
function dbNodeOnly(p: Prepared, sub: string): void {
  if (!p.onDb) {
    throw new DBManagementError(
      `cfy_manager dbs ${sub} runs on a DB node of the cluster; run it there (on a manager, dbs add and dbs remove are available).`,
    );
  }
}

/** The status table; the exit code is 0 healthy, 1 degraded, 2 down. */
export async function list(o: CommonOpts): Promise<number> {
  const p = prepare(o, 'db_cluster_list');
  if (!p) return 0;
  dbNodeOnly(p, 'list');
  const { assess, snapshot } = await import('../components/database/status.js');
  const health = assess(await snapshot(p.config, p.ownIp));
  for (const m of health.messages) log.debug(m);
  if (health.code === 0) log.info('DB cluster is healthy.');
  else if (health.code === 1) log.warning('DB cluster is unhealthy.');
  else log.error('DB cluster is down.');
  for (const m of health.messages) log.warning(m);
  process.stdout.write(
    `${formatTable(health.rows as never, ['node_ip', 'state', 'alive', 'etcd_state', 'errors'])}\n`,
  );
  return health.code;
}

/** The commands that name a DB node with --address: the gate, then the command's own step. */
const withAddress =
  (cmd: string, fn: (p: Prepared, address: string) => Promise<void>) =>
  async (o: AddressOpts): Promise<void> => {
    const p = prepare(o, cmd);
    if (p) await fn(p, o.address);
  };

export const add = withAddress('db_node_add', async (p, a) => {
  if (p.onDb) {
    throw new DBManagementError(
      'Database cluster nodes should be added to the cluster during install, by setting the appropriate entries in the config.yaml.',
    );
  }
  const { addDbNode } = await import('../components/manager/dbs.js');
  await addDbNode(p.config, a, log);
});

export const remove = withAddress('db_node_remove', async (p, a) => {
  if (!p.onDb) {
    const { removeDbNode } = await import('../components/manager/dbs.js');
    return removeDbNode(p.config, a, log);
  }
  const { removeNode } = await import('../components/database/manage.js');
  await removeNode(p.config, p.ownIp, a, log);
});

export const reinit = withAddress('db_node_reinit', async (p, a) => {
  dbNodeOnly(p, 'reinit');
  const { reinit } = await import('../components/database/manage.js');
  await reinit(p.config, p.ownIp, a, log);
});

export const setMaster = withAddress('db_node_set_master', async (p, a) => {
  dbNodeOnly(p, 'set-master');
  const { setMaster } = await import('../components/database/manage.js');
  await setMaster(p.config, p.ownIp, a, log);
});
