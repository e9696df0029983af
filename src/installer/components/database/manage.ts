// `dbs remove / reinit / set-master` on a DB node (reference §4.7), through Patroni's REST API (basic
// auth + client certificate) and etcdctl as root. `dbs add` belongs to manager nodes.
import type { Config } from '../../config/schema.js';
import { DBManagementError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { PATRONI_CA, PATRONI_REST_CERT, PATRONI_REST_KEY } from '../../paths.js';
import { httpsRequest } from '../../services/https.js';
import { clusterIps, PATRONI_PORT, patroniName, urlHost } from './cluster-files.js';
import { etcdctl, memberIp, memberList } from './etcd.js';
import { assess, snapshot } from './status.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TLS = { ca: PATRONI_CA, cert: PATRONI_REST_CERT, key: PATRONI_REST_KEY };

function rest(config: Config, ip: string, path: string, method: string, body?: unknown) {
  const p = config.postgresql_server.cluster.patroni;
  return httpsRequest(`https://${urlHost(ip)}:${PATRONI_PORT}${path}`, {
    tls: TLS,
    method,
    body,
    auth: `${p.rest_user}:${p.rest_password}`,
    timeoutMs: 30_000,
  });
}

async function rows(config: Config, ownIp: string) {
  return assess(await snapshot(config, ownIp)).rows;
}

export async function setMaster(config: Config, ownIp: string, target: string, log: Logger): Promise<void> {
  let r = await rows(config, ownIp);
  const leader = r.find((x) => x.state === 'leader');
  if (!r.some((x) => x.node_ip === target))
    throw new DBManagementError(`${target} is not a node of this DB cluster.`);
  if (leader?.node_ip === target) {
    log.info(`${target} is already the master.`);
    return;
  }
  if (!leader) throw new DBManagementError('No DB leader found; cannot switch over.');
  // An async replica cannot take over in synchronous mode; restarting the sync one hands the role over.
  for (let i = 0; i < 30 && r.find((x) => x.node_ip === target)?.state !== 'sync_replica'; i++) {
    const sync = r.find((x) => x.state === 'sync_replica');
    if (i % 5 === 0 && sync) await rest(config, sync.node_ip, '/restart', 'POST', {});
    await sleep(1000);
    r = await rows(config, ownIp);
  }
  if (r.find((x) => x.node_ip === target)?.state !== 'sync_replica') {
    throw new DBManagementError(
      `${target} did not manage to become synchronous replica, so it cannot become the master.`,
    );
  }
  for (let i = 0; i < 30; i++) {
    if (i % 10 === 0) {
      const res = await rest(config, leader.node_ip, '/switchover', 'POST', {
        leader: patroniName(leader.node_ip),
        candidate: patroniName(target),
      });
      log.debug(`switchover: ${res?.status} ${res?.body.trim()}`);
    }
    await sleep(1000);
    const now = (await rows(config, ownIp)).find((x) => x.state === 'leader');
    if (now?.node_ip === target) {
      log.info(`Master changed to ${target}`);
      return;
    }
  }
  log.warning(`Master has not changed to ${target}.`);
}

export async function reinit(config: Config, ownIp: string, target: string, log: Logger): Promise<void> {
  const r = await rows(config, ownIp);
  if (r.find((x) => x.node_ip === target)?.state === 'leader') {
    throw new DBManagementError(
      'The master cannot be reinitialised. Please set the master to a different node before retrying this command.',
    );
  }
  const res = await rest(config, target, '/reinitialize', 'POST', { force: true });
  if (!res || res.status >= 300)
    throw new DBManagementError(`Reinit of ${target} failed: ${res?.body.trim() ?? 'no answer'}`);
  log.info(`Reinitialising ${target}: ${res.body.trim()}`);
}

export async function removeNode(config: Config, ownIp: string, target: string, log: Logger): Promise<void> {
  const r = await rows(config, ownIp);
  const replicas = r.filter((x) => x.state !== 'leader');
  if (replicas.length < 2) {
    throw new DBManagementError(
      'The last replica cannot be removed. A new replica must be added before removing the target node.',
    );
  }
  if (r.find((x) => x.node_ip === target)?.state === 'leader') {
    throw new DBManagementError(
      `${target} is the master. Please set the master to a different node before retrying this command.`,
    );
  }
  if (!replicas.some((x) => x.node_ip === target))
    throw new DBManagementError(`${target} is not a known replica.`);
  const ctl = etcdctl(config, ownIp);
  const member = (await memberList(ctl))?.find((m) => memberIp(m) === target);
  if (member) {
    const rm = await ctl(['member', 'remove', member.id], { asRoot: true });
    if (rm.code !== 0) throw new DBManagementError(`etcd member remove failed: ${rm.stderr.trim()}`);
  }
  const got = await ctl(['get', '/db/postgres/config', '--print-value-only'], { asRoot: true });
  if (got.code === 0 && got.stdout.trim()) {
    const dcs = JSON.parse(got.stdout) as { postgresql?: { pg_hba?: string[] } };
    if (dcs.postgresql?.pg_hba) {
      dcs.postgresql.pg_hba = dcs.postgresql.pg_hba.filter((l) => !l.includes(` ${target}/`));
      await ctl(['put', '/db/postgres/config'], { asRoot: true, input: JSON.stringify(dcs) });
    }
  }
  log.info(`Removed ${target} from the DB cluster.`);
}

export function knownIps(config: Config): string[] {
  return clusterIps(config);
}
