// The program supervisord runs as `patroni` on a DB cluster node: a Python file that removes stale socket
// locks, waits for etcd's quorum, guards one write of Patroni's etcd3 client, keeps the etcd leader off
// the database leader's node, and runs Patroni in its own process.
import { ETCD_CA, PATRONI_DATA, PATRONI_DIR, SYSTEM_PYTHON } from '../../paths.js';
import { urlHost } from './cluster-files.js';

export const ETCD_GATE = `${PATRONI_DIR}/wait-for-etcd.py`;

/**
 * Why each part is there:
 * - A socket lock file left by a killed postmaster names a PID that another process may own now (after a
 *   reboot, or a lab node restarted in a new PID namespace); PostgreSQL would then refuse to start.
 * - Patroni reads etcd's cluster version once, when it connects. Until every member of a new etcd cluster
 *   has been up once, etcd reports `not_decided` or 3.0.0; Patroni then assumes etcd 3.0 (no auth, the
 *   v3alpha API) and never recovers. So Patroni starts only once etcd reports cluster version >= 3.3.
 * - Patroni before 3.0.3 (Debian 12 ships 3.0.2) writes the etcd3 leader key unconditionally when it
 *   renews the leader lock under a new lease: a leader cut off the network past its TTL takes the lock
 *   back from the new leader the moment it is healed, promotes itself, and the new leader demotes (seen in
 *   the lab: two leader changes per partition, and once a leader without a sync standby that strict mode
 *   could not replace). The guard writes the key only while it is still ours or absent, and a refused
 *   write fails the renewal, as a lost lock should.
 * - etcd renews every lease to its full TTL when it elects a new leader. When the node that dies runs both
 *   the database leader and the etcd leader, the leader key therefore outlives the kill by a whole TTL
 *   after etcd's election instead of what was left of it: in the lab 16.6-18.4 s from the kill to the
 *   first write against 12.3 s when the two leaders were apart. So, while this node holds the leader key
 *   and its etcd leads, the etcd leadership goes to the most up-to-date other member (etcd's move-leader).
 * - Patroni starts the postmaster through multiprocessing, which imports the main file again in the
 *   child: so nothing runs unless the file is the main program.
 */
export function renderEtcdGate(ip: string): string {
  const locks = [`${PATRONI_DIR}/.s.PGSQL.*.lock`, `${PATRONI_DATA}/.s.PGSQL.*.lock`];
  return `#!${SYSTEM_PYTHON}
# Written by cfy_manager: remove stale socket locks, wait until etcd has a quorum (a decided cluster
# version), make Patroni's etcd3 leader-key write conditional (Patroni before 3.0.3), keep the etcd leader
# off the database leader's node, then run Patroni.
import base64, glob, json, logging, os, ssl, sys, threading, time, urllib.request


def remove_stale_socket_locks():
    for lock in glob.glob(${JSON.stringify(locks[0])}) + glob.glob(${JSON.stringify(locks[1])}):
        try:
            with open(lock) as f:
                pid = int(f.readline().strip())
            with open('/proc/%d/comm' % pid) as f:
                alive = f.read().strip() == 'postgres'
        except Exception:
            alive = False
        if not alive:
            try:
                os.unlink(lock)
            except OSError:
                pass


def wait_for_etcd_quorum():
    ctx = ssl.create_default_context(cafile=${JSON.stringify(ETCD_CA)})
    url = ${JSON.stringify(`https://${urlHost(ip)}:2379/version`)}
    while True:
        try:
            with urllib.request.urlopen(url, context=ctx, timeout=2) as r:
                v = json.load(r).get('etcdcluster', 'not_decided')
                if v != 'not_decided' and tuple(int(x) for x in v.split('.')[:2]) >= (3, 3):
                    return
        except Exception:
            pass
        time.sleep(0.5)


def guard_leader_key():
    from patroni.version import __version__ as patroni_version
    if tuple(int(x) for x in patroni_version.split('.')[:3]) >= (3, 0, 3):
        return
    from patroni.dcs import etcd3

    unguarded_update_leader = etcd3.Etcd3._update_leader
    # With the client's own handling of an expired login token, as its put has.
    authed_txn = vars(etcd3.Etcd3Client)['_handle_auth_errors'](etcd3.Etcd3Client.txn)

    def guarded_update_leader(self):
        client, refused = self._client, []

        def put(key, value, lease=None, create_revision=None, mod_revision=None, retry=None):
            if key != self.leader_path or create_revision is not None or mod_revision is not None:
                return type(client).put(client, key, value, lease, create_revision, mod_revision, retry)
            fields = {'key': etcd3.base64_encode(key), 'value': etcd3.base64_encode(value), 'lease': lease}
            still_ours = {'key': fields['key'], 'target': 'VALUE', 'value': fields['value']}
            if authed_txn(client, still_ours, {'request_put': fields}, retry):
                return True
            if type(client).put(client, key, value, lease, 0, None, retry):
                return True
            refused.append(key)
            return False

        client.put = put
        try:
            renewed = unguarded_update_leader(self)
        finally:
            del client.put
        return renewed and not refused

    etcd3.Etcd3._update_leader = guarded_update_leader


def keep_etcd_leader_apart(patroni_conf):
    import yaml
    with open(patroni_conf) as f:
        conf = yaml.safe_load(f)
    etcd = conf['etcd3']
    ctx = ssl.create_default_context(cafile=etcd['cacert'])
    local = 'https://' + etcd['hosts'][0]
    key = '%s%s/leader' % (conf['namespace'], conf['scope'])
    log = logging.getLogger('patroni.gate')

    def call(base, path, body, token=None, timeout=2):
        headers = {'Content-Type': 'application/json'}
        if token:
            headers['Authorization'] = token
        req = urllib.request.Request(base + path, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
            return json.load(r)

    def holds_leader_key(token):
        kvs = call(local, '/v3/kv/range', {'key': base64.b64encode(key.encode()).decode()}, token)
        return [base64.b64decode(kv['value']).decode() for kv in kvs.get('kvs', [])] == [conf['name']]

    def best_follower(me, token):
        best = None
        for m in call(local, '/v3/cluster/member/list', {}, token)['members']:
            if m['ID'] == me or not m.get('clientURLs'):
                continue
            try:
                index = int(call(m['clientURLs'][0], '/v3/maintenance/status', {}, timeout=1)['raftIndex'])
            except Exception:
                continue
            if best is None or index > best[1]:
                best = (m, index)
        return best and best[0]

    def loop():
        while True:
            time.sleep(2)
            try:
                status = call(local, '/v3/maintenance/status', {})
                me = status['header']['member_id']
                if status.get('leader') != me:
                    continue
                login = {'name': etcd['username'], 'password': etcd['password']}
                token = call(local, '/v3/auth/authenticate', login)['token']
                target = holds_leader_key(token) and best_follower(me, token)
                if target:
                    call(local, '/v3/maintenance/transfer-leadership', {'targetID': target['ID']}, token, 5)
                    log.info('moved the etcd leadership to %s, off the database leader', target['name'])
            except Exception as e:
                log.debug('etcd leadership check: %s', e)

    threading.Thread(target=loop, name='etcd-leader-apart', daemon=True).start()


if __name__ == '__main__':
    remove_stale_socket_locks()
    wait_for_etcd_quorum()
    guard_leader_key()
    keep_etcd_leader_apart(sys.argv[1])
    sys.argv[0] = 'patroni'
    from patroni.__main__ import main
    sys.exit(main())
`;
}
