// The database cluster of the guide, as an operator would drive it, on the shared lab of
// test/installer/db-cluster-lab.test.ts: its three DB nodes installed from the guide's config.yaml with
// generate-test-cert certificates, then a killed leader, its return, a switchover, the security promises,
// and `remove` of one node. It leaves three members running: the removed node is reinstalled and joined.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { httpsRequest } from '../../src/installer/services/https.js';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { within } from '../../src/lab/within.js';
import {
  cfy,
  DB_NODES as NODES,
  dbsList,
  type LabRef,
  labInstall,
  leaderOf,
  nodeFile,
  nodeIp,
  readNodeFile,
} from './lab-helpers.js';

/** What one scenario leaves for the next. */
interface DbState {
  oldLeader: string;
  removed: string;
}

/** The node names and addresses of the lab, read once the lab runs. */
function addresses(t: LabRef) {
  const ip = (n: string) => nodeIp(t.lab, n);
  return { ip, ips: () => NODES.map(ip), nameOf: (addr: string) => NODES.find((n) => ip(n) === addr)! };
}

export function registerDbClusterScenarios(t: LabRef): void {
  describe('database cluster from the guide', { timeout: 480_000 }, () => {
    const s: DbState = { oldLeader: '', removed: '' };
    install(t);
    security(t);
    leaderChanges(t, s);
    removeAndRejoin(t, s);
  });
}

/** The install of the three DB nodes, in the guide's order. */
function install(t: LabRef): void {
  test('three DB nodes install in order; dbs list exits 0 with one leader and a sync replica', async () => {
    const log: string[] = [];
    // The database role only: the lab's broker and managers are the manager scenarios' to install.
    const code = await labInstall(t.lab, (l) => log.push(l), ['database']);
    assert.equal(code, 0, log.join('\n'));
    // The last install waited for its own member; the others settle within seconds.
    const r = await within(
      60_000,
      () => dbsList(t.lab, 'db2'),
      (x) => x.code === 0,
      'healthy cluster',
    );
    assert.match(r.out, /DB cluster is healthy\./);
    assert.deepEqual(r.rows.map((x) => x.state).sort(), ['async_replica', 'leader', 'sync_replica']);
    assert.ok(r.rows.every((x) => x.alive === 'True'));
    assert.equal(r.rows.filter((x) => x.etcd_state === 'StateLeader').length, 1);
  });

  // db1 bootstraps both etcd and Patroni, so both leaders start on it; the patroni program moves etcd's.
  test("the etcd leader moves off the database leader's node", async () => {
    await within(
      30_000,
      () => dbsList(t.lab, 'db2'),
      (x) =>
        x.code === 0 &&
        x.rows.filter((y) => y.etcd_state === 'StateLeader').length === 1 &&
        x.rows.find((y) => y.state === 'leader')?.etcd_state === 'StateFollower',
      'the etcd leader on a replica',
    );
  });
}

/** What the cluster must refuse and protect. */
function security(t: LabRef): void {
  const { ips } = addresses(t);
  test('unauthenticated Patroni and etcd are refused; non-TLS PostgreSQL is refused', async () => {
    const ca = nodeFile(t.lab, 'db1', 'var/lib/patroni/ca.crt');
    // Patroni demands a client certificate, so even a read without one fails at the TLS handshake.
    assert.equal(await httpsRequest(`https://${ips()[0]}:8008/patroni`, { tls: { ca } }), undefined);
    const withCert = await httpsRequest(`https://${ips()[0]}:8008/patroni`, {
      tls: {
        ca,
        cert: nodeFile(t.lab, 'db1', 'var/lib/patroni/rest.crt'),
        key: nodeFile(t.lab, 'db1', 'var/lib/patroni/rest.key'),
      },
    });
    assert.equal(withCert?.status, 200);
    // A write needs basic auth on top of the certificate.
    const noAuth = await httpsRequest(`https://${ips()[0]}:8008/restart`, {
      method: 'POST',
      body: {},
      tls: {
        ca,
        cert: nodeFile(t.lab, 'db1', 'var/lib/patroni/rest.crt'),
        key: nodeFile(t.lab, 'db1', 'var/lib/patroni/rest.key'),
      },
    });
    assert.equal(noAuth?.status, 401);
    // etcd: anonymous reads of the DCS are refused once auth is on.
    const etcd = await httpsRequest(`https://${ips()[0]}:2379/v3/kv/range`, {
      method: 'POST',
      body: {
        key: Buffer.from('/db/').toString('base64'),
        range_end: Buffer.from('/db0').toString('base64'),
      },
      tls: { ca },
    });
    assert.ok(etcd, 'etcd answers over TLS');
    assert.notEqual(etcd.status, 200, etcd.body);
    assert.match(etcd.body, /user name is empty|permission denied/);
    // PostgreSQL: sslmode=disable is refused by pg_hba, verify-full with the CA works.
    const pg = (mode: string) =>
      t.lab.exec('db2', [
        'env',
        `PGPASSWORD=${GUIDE_SECRETS.postgresPassword}`,
        '/usr/bin/psql',
        `host=${ips()[0]} user=postgres dbname=postgres sslmode=${mode} sslrootcert=/var/lib/patroni/ca.crt connect_timeout=5`,
        '-Atc',
        'select 1',
      ]);
    const plain = await pg('disable');
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /no pg_hba\.conf entry|no encryption/);
    const leader = await leaderOf(t.lab, 'db1', ips());
    const tls = await t.lab.exec('db2', [
      'env',
      `PGPASSWORD=${GUIDE_SECRETS.postgresPassword}`,
      '/usr/bin/psql',
      `host=${leader} user=postgres dbname=postgres sslmode=verify-full sslrootcert=/var/lib/patroni/ca.crt`,
      '-Atc',
      'select 1',
    ]);
    assert.equal(tls.stdout.trim(), '1', tls.stderr);
  });

  test('key files are 0400 or 0440 and no password reaches cfy_manager.log', () => {
    for (const n of NODES) {
      for (const key of [
        'etc/etcd/etcd.key',
        'var/lib/patroni/rest.key',
        'var/lib/patroni/db.key',
        'etc/cloudify/ssl/postgresql_server.key',
      ]) {
        const mode = statSync(nodeFile(t.lab, n, key)).mode & 0o777;
        assert.ok(mode === 0o400 || mode === 0o440, `${n}:/${key} is ${mode.toString(8)}`);
      }
      const log = readNodeFile(t.lab, n, 'var/log/cloudify/manager/cfy_manager.log');
      assert.match(log, / - DEBUG - /, 'the file log is at DEBUG');
      for (const [k, v] of Object.entries(GUIDE_SECRETS))
        assert.ok(!log.includes(v), `${n}: ${k} found in cfy_manager.log`);
    }
  });
}

/** A killed leader and its return, a switchover, a reinit, an install run again. */
function leaderChanges(t: LabRef, s: DbState): void {
  const { ip, ips, nameOf } = addresses(t);
  test('lab kill of the leader: a new leader within 20 s, dbs list exits 1', async () => {
    s.oldLeader = (await leaderOf(t.lab, 'db1', ips()))!;
    assert.ok(s.oldLeader);
    const survivor = NODES.find((n) => ip(n) !== s.oldLeader)!;
    const t0 = Date.now();
    await t.lab.kill(nameOf(s.oldLeader));
    const others = ips().filter((x) => x !== s.oldLeader);
    const next = await within(20_000, () => leaderOf(t.lab, survivor, others), Boolean, 'new leader');
    const seconds = (Date.now() - t0) / 1000;
    process.stdout.write(
      `# failover: ${nameOf(s.oldLeader)} killed, ${nameOf(next!)} leader after ${seconds.toFixed(1)} s\n`,
    );
    assert.ok(seconds <= 20);
    const r = await within(
      30_000,
      () => dbsList(t.lab, survivor),
      (x) => x.code === 1,
      'dbs list degraded',
    );
    assert.match(r.out, /DB cluster is unhealthy\./);
    assert.equal(r.rows.find((x) => x.node_ip === s.oldLeader)?.state, 'dead');
  });

  test('lab start of the old leader: it rejoins as a replica', async () => {
    await t.lab.start(nameOf(s.oldLeader));
    const r = await within(
      90_000,
      () => dbsList(t.lab, nameOf(s.oldLeader)),
      (x) => x.code === 0 && /replica/.test(x.rows.find((y) => y.node_ip === s.oldLeader)?.state ?? ''),
      'old leader back as replica',
    );
    assert.equal(r.rows.find((y) => y.node_ip === s.oldLeader)?.alive, 'True');
  });

  test('dbs set-master switches the leader', async () => {
    const r = await cfy(t.lab, 'db1', ['dbs', 'set-master', '-a', s.oldLeader], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Master changed to ${s.oldLeader.replaceAll('.', '\\.')}`));
    const after = await within(
      30_000,
      () => dbsList(t.lab, 'db1'),
      (x) => x.code === 0,
      'healthy after switchover',
    );
    assert.equal(after.rows[0]?.node_ip, s.oldLeader);
    assert.equal(after.rows[0]?.state, 'leader');
  });

  test('dbs reinit rebuilds a replica; reinit of the leader is refused', async () => {
    const leader = (await leaderOf(t.lab, 'db1', ips()))!;
    const replica = ips().find((x) => x !== leader)!;
    const refused = await cfy(t.lab, 'db1', ['dbs', 'reinit', '-a', leader], 60_000);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /DBManagementError: The master cannot be reinitialised/);
    const r = await cfy(t.lab, 'db1', ['dbs', 'reinit', '-a', replica], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Reinitialising /);
    const back = await within(
      90_000,
      () => dbsList(t.lab, 'db1'),
      (x) => x.code === 0 && x.rows.find((y) => y.node_ip === replica)?.alive === 'True',
      'replica rebuilt',
    );
    assert.equal(back.rows[0]?.node_ip, leader);
  });

  test('re-running install on the leader changes nothing: it stays the leader', async () => {
    const leader = (await leaderOf(t.lab, 'db1', ips()))!;
    const r = await cfy(t.lab, nameOf(leader), ['install'], 300_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Patroni is already running with this configuration; not restarted\./);
    assert.equal(await leaderOf(t.lab, 'db1', ips()), leader);
    assert.equal((await dbsList(t.lab, 'db1')).code, 0);
  });
}

/** `remove` of a replica, then `dbs remove` and its reinstall. */
function removeAndRejoin(t: LabRef, s: DbState): void {
  const { ip, ips } = addresses(t);
  test('remove on one node leaves it clean; the others keep a leader', async () => {
    const leader = (await leaderOf(t.lab, 'db1', ips()))!;
    const victim = NODES.find((n) => ip(n) !== leader)!;
    const r = await cfy(t.lab, victim, ['remove'], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Removing Cloudify Database\.\.\./);
    assert.match(r.stdout, /Finished in \d+ minutes and \d+ seconds/);
    const progs = await t.lab.exec(victim, [
      'supervisorctl',
      '-c',
      '/etc/supervisor/supervisord.conf',
      'status',
    ]);
    assert.equal(progs.stdout.trim(), '', 'no supervisord programs left');
    for (const d of ['var/lib/patroni', 'var/lib/etcd', 'etc/etcd', 'etc/supervisord.d']) {
      assert.deepEqual(readdirSync(nodeFile(t.lab, victim, d)), [], `/${d} is empty`);
    }
    assert.ok(!existsSync(nodeFile(t.lab, victim, 'etc/cloudify/.installed')));
    assert.ok(!existsSync(nodeFile(t.lab, victim, 'etc/cloudify/.configured')));
    assert.ok(
      readdirSync(nodeFile(t.lab, victim, 'etc/cloudify/ssl')).every((f) => /^\d{8}-\d{6}_/.test(f)),
      'certs backed up',
    );
    const listen = await t.lab.exec(victim, ['sh', '-c', 'cat /proc/net/tcp']);
    for (const port of [2379, 2380, 5432, 8008]) {
      assert.ok(
        !listen.stdout.includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`),
        `port ${port} closed`,
      );
    }
    const rest = NODES.find((n) => n !== victim)!;
    // Losing a replica (and its etcd member) may briefly hide the leader while etcd re-elects.
    await within(
      20_000,
      () =>
        leaderOf(
          t.lab,
          rest,
          ips().filter((x) => x !== ip(victim)),
        ),
      Boolean,
      'a leader among the others',
    );
    s.removed = victim;
  });

  test('dbs remove of the removed node, then its reinstall joins the running cluster (etcd state existing)', async () => {
    const healthy = NODES.find((n) => n !== s.removed)!;
    const r = await cfy(t.lab, healthy, ['dbs', 'remove', '-a', ip(s.removed)], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Removed .* from the DB cluster\./);
    const again = await cfy(t.lab, s.removed, ['install'], 300_000);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /Joining the etcd cluster as etcd\S+ \(state existing\)\./);
    assert.match(
      readNodeFile(t.lab, s.removed, 'etc/etcd/etcd.conf'),
      /ETCD_INITIAL_CLUSTER_STATE='existing'/,
    );
    const list = await within(
      60_000,
      () => dbsList(t.lab, healthy),
      (x) => x.code === 0 && x.rows.length === 3,
      'healthy with 3 nodes',
    );
    assert.equal(list.rows.find((x) => x.node_ip === ip(s.removed))?.alive, 'True');
  });
}
