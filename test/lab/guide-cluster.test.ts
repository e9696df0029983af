// The cluster guide's best practice, installed once by `lab install` (3 databases, 3 brokers, 3 managers
// and the load balancer, every certificate from one test CA), then used as an operator would: `cfy`
// through the load balancer and against each manager, work spread over the managers, TLS on every port,
// and a manager killed under a client's feet.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { GUIDE_SECRETS, LAB_ADMIN_PASSWORD } from '../../src/lab/guide-config.js';
import { installSequence } from '../../src/lab/install.js';
import type { Lab } from '../../src/lab/lab.js';
import { fsRoot } from '../../src/lab/nodes.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { BUILTIN } from '../../src/lab/topology.js';
import { within } from '../../src/lab/within.js';
import { type Cfy, FIXTURES, json } from '../cli/helpers.js';
import { leaderOf } from '../installer/lab-helpers.js';
import { federatedAndOwnMetrics, prometheusGuarded } from './monitoring-checks.js';
import {
  type Cluster,
  chaosCase,
  DBS,
  type Expected,
  expectedEvents,
  MANAGERS,
  nothingLost,
} from './chaos.js';
import { startTwentyInstall as startTwenty } from './twenty.js';
import {
  cfyWithPassword,
  clusterStatusAt,
  seenFailing as seenFailingVia,
  finalStatus,
  Measurements,
  probe,
  servingManager,
  statusLoop,
} from './cluster-helpers.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';
const NODES = [...DBS, ...['queue1', 'queue2', 'queue3'], ...MANAGERS, 'lb'];
const ADMIN = `admin:${LAB_ADMIN_PASSWORD}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('the guide cluster, installed by lab install', { skip, timeout: 40 * 60_000 }, () => {
  let t: TestLab;
  let lab: Lab;
  let ca: Buffer;
  let caPath: string;
  const ip = (name: string) => lab.node(name).node.ip;
  const installLog: string[] = [];
  const m = new Measurements();
  const clients: Cfy[] = [];
  const cfyClient = (): Cfy => {
    const c = cfyWithPassword(LAB_ADMIN_PASSWORD);
    clients.push(c);
    return c;
  };
  let viaLb: Cfy;
  const viaManager: Record<string, Cfy> = {};
  const suiteStart = Date.now();
  /** The database leader killed by its scenario and left down: the last scenario looks for it. */
  let deadDb = '';

  before(async () => {
    let t0 = Date.now();
    t = await startTestLab(BUILTIN['best-practice']!);
    lab = t.lab;
    m.note(`lab up (10 nodes): ${secs(Date.now() - t0)}`);
    t0 = Date.now();
    const code = await installSequence(lab, (l) => installLog.push(l));
    assert.equal(code, 0, installLog.join('\n'));
    m.note(`lab install of the whole cluster: ${secs(Date.now() - t0)}`);
    for (const l of installLog.filter((x) => x.startsWith('['))) m.note(`  ${l}`);
    caPath = join(fsRoot(lab.stateDir, 'lb'), 'root/.cloudify-test-ca/ca.crt');
    ca = readFileSync(caPath);
  });

  let failed = false;
  afterEach((c) => {
    if ((c as { passed?: boolean }).passed === false) failed = true;
  });
  after(async () => {
    m.note(`whole suite: ${secs(Date.now() - suiteStart)}`);
    m.print();
    if (failed && t) {
      const keep = mkdtempSync(join(tmpdir(), 'guide-cluster-logs-'));
      for (const n of NODES)
        cpSync(join(fsRoot(lab.stateDir, n), 'var/log'), join(keep, n), { recursive: true });
      process.stdout.write(`# node logs kept in ${keep}\n`);
    }
    for (const c of clients) c.cleanup();
    await t?.down();
  });

  test('lab install printed one timed line per node, then the cfy profiles use line', () => {
    for (const n of NODES)
      assert.ok(
        installLog.some((l) => new RegExp(`^\\[${n}\\] .* installed in \\d+\\.\\d s$`).test(l)),
        n,
      );
    assert.match(installLog.join('\n'), /^\[manager1\] manager_service, monitoring_service installed in /m);
    assert.match(installLog.join('\n'), /^\[lb\] load_balancer_service installed in /m);
    assert.equal(
      installLog.at(-1),
      `cfy profiles use ${ip('lb')} -u admin -p ${LAB_ADMIN_PASSWORD} -t default_tenant --ssl -c ${caPath}`,
    );
    assert.ok(existsSync(caPath));
  });

  test('the printed cfy profiles use works through the load balancer; cfy works against each manager', async () => {
    // The printed line, with the password from the environment instead of argv.
    const args = installLog.at(-1)!.split(' ').slice(1);
    const at = args.indexOf('-p');
    args.splice(at, 2);
    viaLb = cfyClient();
    const use = await viaLb(args);
    assert.equal(use.code, 0, use.stdout + use.stderr);
    const status = await viaLb(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    for (const name of MANAGERS) {
      const c = cfyClient();
      const u = await c([
        'profiles',
        'use',
        ip(name),
        '-u',
        'admin',
        '-t',
        'default_tenant',
        '--ssl',
        '-c',
        caPath,
      ]);
      assert.equal(u.code, 0, `${name}: ${u.stdout}${u.stderr}`);
      const list = await c(['blueprints', 'list', '--json']);
      assert.equal(list.code, 0, `${name}: ${list.stderr}`);
      viaManager[name] = c;
    }
    const managers = json<{ hostname: string }[]>(await viaLb(['cluster', 'managers', 'list', '--json'])).map(
      (x) => x.hostname,
    );
    assert.deepEqual(managers.sort(), MANAGERS);
  });

  test('a blueprint uploaded via manager1, a deployment created via manager2, installed via the LB', async () => {
    const t0 = Date.now();
    const up = await viaManager.manager1!([
      'blueprints',
      'upload',
      join(FIXTURES, 'hello_scripts'),
      '-b',
      'bp1',
    ]);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const dep = await viaManager.manager2!(['deployments', 'create', 'd1', '-b', 'bp1', '-i', 'greeting=hi']);
    assert.equal(dep.code, 0, dep.stdout + dep.stderr);
    const install = await viaLb(['executions', 'start', 'install', '-d', 'd1', '--timeout', '300']);
    assert.equal(install.code, 0, install.stdout + install.stderr);
    assert.match(install.stdout, /^Finished executing workflow install on deployment d1$/m);
    m.note(`upload via manager1 + create via manager2 + install via the LB: ${secs(Date.now() - t0)}`);
    const outputs = json(await viaManager.manager3!(['deployments', 'outputs', 'd1', '--json']));
    assert.equal(outputs.said.value, 'hi');
  });

  test("the install's events are readable from every manager", async () => {
    const execs = json<{ id: string; workflow_id: string; status: string }[]>(
      await viaLb(['executions', 'list', '-d', 'd1', '--json']),
    );
    const ex = execs.find((e) => e.workflow_id === 'install')!;
    assert.equal(ex.status, 'completed');
    const seen: Record<string, number> = {};
    for (const name of MANAGERS) {
      const r = await viaManager[name]!(['events', 'list', ex.id, '--json']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      const events = r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event_type?: string; message?: string });
      assert.ok(
        events.some((e) => e.event_type === 'workflow_succeeded'),
        name,
      );
      assert.ok(
        events.some((e) => e.message === 'saying hi'),
        `${name}: the script's log line`,
      );
      seen[name] = events.length;
    }
    assert.equal(new Set(Object.values(seen)).size, 1, `same events everywhere: ${JSON.stringify(seen)}`);
  });

  test('TLS: 80 refuses the API, 443 and 53333 verify against the CA, plain HTTP to 443 fails', async () => {
    for (const name of MANAGERS) {
      const plain = await probe(`http://${ip(name)}/api/v3.1/status`);
      assert.equal(plain.status, 400, `${name}:80 ${JSON.stringify(plain)}`);
      assert.equal(JSON.parse(plain.body!).error_code, 'SSL_REQUIRED');
      for (const port of [443, 53333]) {
        const verified = await probe(`https://${ip(name)}:${port}/api/v3.1/status`, { ca });
        assert.equal(verified.status, 401, `${name}:${port} ${JSON.stringify(verified)}`);
        const untrusted = await probe(`https://${ip(name)}:${port}/api/v3.1/status`);
        assert.match(
          untrusted.error ?? '',
          /CERT|SELF_SIGNED|UNABLE/,
          `${name}:${port} must not verify without the CA`,
        );
      }
      const clear = await probe(`http://${ip(name)}:443/api/v3.1/status`);
      assert.ok(clear.error || clear.status === 400, `${name}: plain HTTP to 443 ${JSON.stringify(clear)}`);
    }
    for (const port of [443, 53333]) {
      const lb = await probe(`https://${ip('lb')}:${port}/api/v3.1/status`, { ca, auth: ADMIN });
      assert.equal(lb.status, 200, `lb:${port} ${JSON.stringify(lb)}`);
      const untrusted = await probe(`https://${ip('lb')}:${port}/api/v3.1/status`);
      assert.match(
        untrusted.error ?? '',
        /CERT|SELF_SIGNED|UNABLE/,
        `lb:${port} must not verify without the CA`,
      );
    }
    const clear = await probe(`http://${ip('lb')}:443/api/v3.1/status`);
    assert.ok(clear.error || clear.status === 400, `lb: plain HTTP to 443 ${JSON.stringify(clear)}`);
  });

  test('monitoring: Prometheus on 8009 on every node wants the credentials; cluster-status turns OK', async () => {
    const good = `monitoringusername:${GUIDE_SECRETS.monitoringPassword}`;
    const monitored = NODES.filter((n) => n !== 'lb').map((name) => ({ name, ip: ip(name) }));
    await prometheusGuarded(monitored, ca, good);
    const t0 = Date.now();
    const report = await within(
      180_000,
      clusterStatus,
      (r) => r.status === 'OK',
      'cluster-status OK via the LB',
    );
    m.note(`cluster-status OK through the LB ${secs(Date.now() - t0)} after the checks began`);
    for (const type of ['manager', 'db', 'broker']) {
      const nodes = report.services[type].nodes as Record<string, { status: string; metrics: unknown[] }>;
      assert.equal(Object.keys(nodes).length, 3, `${type} nodes: ${Object.keys(nodes)}`);
      for (const [n, v] of Object.entries(nodes)) assert.ok(v.metrics.length > 0, `${type} ${n} has metrics`);
    }
    const cli = await viaLb(['cluster', 'status']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Current cluster status is OK/);
    // manager1's Prometheus holds the DB nodes' series (federated) and our own REST and worker metrics.
    await federatedAndOwnMetrics(`https://${ip('manager1')}:8009/monitoring`, ca, good, ip('db1'));
  });

  test('a manager killed while a client loops on GET /api/v3.1/status through the LB', async () => {
    const url = `https://${ip('lb')}/api/v3.1/status`;
    const once = () => probe(url, { ca, auth: ADMIN });
    const { name, counts } = await servingManager(lab, MANAGERS, ip('lb'), once);
    assert.ok(counts[name]! > 0, `no manager holds connections from the LB: ${JSON.stringify(counts)}`);
    const loop = statusLoop(url, ca, ADMIN);
    await new Promise((r) => setTimeout(r, 1000));
    await lab.kill(name);
    await new Promise((r) => setTimeout(r, 6_000));
    const { longestGapMs, requests, ok } = await loop.stop();
    m.note(
      `${name} (serving) killed under a status loop via the LB: longest gap between answers ${secs(longestGapMs)} (${ok}/${requests} requests answered 200)`,
    );
    assert.ok(longestGapMs <= 5000, `longest gap ${longestGapMs} ms (goal 5 s)`);
    // Back again: its supervisord starts the manager's programs by itself.
    const t0 = Date.now();
    await lab.start(name);
    await within(
      120_000,
      () => probe(`https://${ip(name)}/api/v3.1/status`, { ca, auth: ADMIN }),
      (a) => a.status === 200,
      `${name} answering again`,
    );
    m.note(`${name} restarted and answering: ${secs(Date.now() - t0)}`);
  });

  const clusterStatus = (query = '') => clusterStatusAt(ip('lb'), ca, ADMIN, query);
  const seenFailing = (type: string, deadIp: string, since: number, ms: number) =>
    seenFailingVia(clusterStatus, type, deadIp, since, ms);
  const seenOk = async (since: number, ms: number) => {
    await within(ms, clusterStatus, (r) => r.status === 'OK', 'cluster-status OK again');
    return Date.now() - since;
  };

  const startTwentyInstall = (dep: string) => startTwenty(lab, viaLb, MANAGERS, dep);
  /** The events of a fault-free install of the same blueprint: no chaos case may lose one. */
  let expected: Expected;
  const cluster = (): Cluster => ({ lab, ip, ca, auth: ADMIN, viaLb, direct: viaManager.manager1! });

  test('a fault-free install of the same blueprint: the events every case below must keep', async () => {
    const t0 = Date.now();
    expected = await expectedEvents(viaLb, 'd10');
    m.note(`fault-free install (one instance, no sleeps): ${secs(Date.now() - t0)}`);
  });

  test('the manager running a 20-instance install dies: another finishes it, no operation twice', async () => {
    const { id, worker, following, t0 } = await startTwentyInstall('d20');
    await lab.kill(worker);
    const killedAt = Date.now();
    const failing = seenFailing('manager', ip(worker), killedAt, 30_000);
    const survivor = viaManager[MANAGERS.find((x) => x !== worker)!]!;
    const status = await finalStatus(survivor, id, 300_000);
    m.note(`  cluster-status: manager Degraded, ${worker} Fail ${secs(await failing)} after the kill`);
    m.note(
      `${worker} (running the 20-instance install) killed ${secs(killedAt - t0)} in: ${status} ${secs(Date.now() - killedAt)} after the kill`,
    );
    const cli = await following;
    m.note(`  cfy following through the LB exited ${cli.code}`);
    assert.equal(status, 'completed');
    await nothingLost(survivor, 'd20', id, expected, killedAt);
    await lab.start(worker);
    const startedAt = Date.now();
    m.note(`  cluster-status OK ${secs(await seenOk(startedAt, 60_000))} after lab start`);
  });

  test('the database leader dies during a 20-instance install: the install still terminates', async () => {
    const dbIps = DBS.map(ip);
    const leader = await leaderOf(lab, 'db1', dbIps);
    assert.ok(leader, 'a database leader');
    const leaderName = DBS.find((n) => ip(n) === leader)!;
    deadDb = leader;
    const { id, following, t0 } = await startTwentyInstall('d30');
    await lab.kill(leaderName);
    const killedAt = Date.now();
    const failing = seenFailing('db', leader, killedAt, 30_000);
    const status = await finalStatus(viaLb, id, 300_000);
    m.note(`  cluster-status: db Degraded, ${leaderName} Fail ${secs(await failing)} after the kill`);
    m.note(
      `database leader ${leaderName} killed ${secs(killedAt - t0)} into a 20-instance install: ${status} ${secs(Date.now() - killedAt)} after the kill`,
    );
    const cli = await following;
    m.note(
      `  cfy following through the LB exited ${cli.code}${cli.code ? `: ${cli.stderr.trim().split('\n').pop()}` : ''}`,
    );
    assert.equal(status, 'completed');
    await nothingLost(viaLb, 'd30', id, expected);
    const next = await leaderOf(
      lab,
      'db2',
      dbIps.filter((x) => x !== leader),
    );
    assert.ok(next && next !== leader, 'a new leader');
  });
  test('a broker dies during a 20-instance install: the install still terminates, no operation twice', async () => {
    // Every manager lists the brokers in the same order and connects to the first that answers: queue1.
    const { id, following, t0 } = await startTwentyInstall('d40');
    await lab.kill('queue1');
    const killedAt = Date.now();
    const failing = seenFailing('broker', ip('queue1'), killedAt, 30_000);
    const status = await finalStatus(viaLb, id, 300_000);
    m.note(`  cluster-status: broker Degraded, queue1 Fail ${secs(await failing)} after the kill`);
    m.note(
      `broker queue1 killed ${secs(killedAt - t0)} into a 20-instance install: ${status} ${secs(Date.now() - killedAt)} after the kill`,
    );
    const cli = await following;
    m.note(`  cfy following through the LB exited ${cli.code}`);
    assert.equal(status, 'completed');
    await nothingLost(viaLb, 'd40', id, expected);
    await lab.start('queue1');
    const startedAt = Date.now();
    await within(60_000, clusterStatus, (r) => r.services?.broker?.status === 'OK', 'broker OK again');
    m.note(`  cluster-status: broker OK ${secs(Date.now() - startedAt)} after lab start`);
  });

  test('cluster-status names the database node killed earlier: that node Fail, db Degraded', async () => {
    const t0 = Date.now();
    const report = await within(
      180_000,
      clusterStatus,
      (r) => r.services?.db?.status === 'Degraded' && r.services?.broker?.status === 'OK',
      'cluster-status with db Degraded',
    );
    m.note(`cluster-status showed db Degraded ${secs(Date.now() - t0)} after this check began`);
    const failed = Object.entries(
      report.services.db.nodes as Record<string, { status: string; private_ip: string }>,
    )
      .filter(([, v]) => v.status === 'Fail')
      .map(([, v]) => v.private_ip);
    assert.deepEqual(failed, [deadDb], 'only the killed database node fails');
    assert.equal(report.status, 'Degraded');
    const cli = await viaLb(['cluster', 'status']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Current cluster status is Degraded/);
    const summary = await probe(`https://${ip('lb')}/api/v3.1/cluster-status?summary=true`, {
      ca,
      auth: ADMIN,
    });
    assert.equal(summary.status, 200);
    assert.deepEqual(JSON.parse(summary.body!), { status: 'Degraded', services: {} });
  });

  test('the killed database node started again: cluster-status OK within 60 s', async () => {
    const name = DBS.find((n) => ip(n) === deadDb)!;
    await lab.start(name);
    const t0 = Date.now();
    await within(60_000, clusterStatus, (r) => r.status === 'OK', `cluster-status OK with ${name} back`);
    m.note(`cluster-status: db OK ${secs(Date.now() - t0)} after lab start of ${name}`);
  });

  test('the load balancer dies during a 20-instance install and comes back: nothing lost', async () => {
    const o = await chaosCase(cluster(), 'lb', 'd50', expected);
    m.note(
      `load balancer killed for 5 s during a 20-instance install: ${o.status} ${secs(o.endMs)} after the kill; answering ${secs(o.recoveryMs!)} after lab start`,
    );
  });

  test('the database leader cut off the network during a 20-instance install, then healed', async () => {
    const o = await chaosCase(cluster(), 'db-partition', 'd60', expected);
    m.note(
      `database leader ${o.victim} partitioned during a 20-instance install: first write ${o.recoveryMs === undefined ? '-' : secs(o.recoveryMs)}, ${o.status} ${secs(o.endMs)} after the cut; settled ${secs(o.restoredMs)} after heal`,
    );
  });

  // Last: the database keeps no majority. Its survivor only serves reads, which is what cluster-status needs.
  test('two of three database nodes killed: db Fail, and the summary answers 500', async () => {
    const leader = await within(30_000, () => leaderOf(lab, 'db1', DBS.map(ip)), Boolean, 'a leader');
    const victims = [DBS.find((n) => ip(n) === leader)!, DBS.find((n) => ip(n) !== leader)!];
    for (const v of victims) await lab.kill(v);
    const t0 = Date.now();
    const report = await within(
      60_000,
      clusterStatus,
      (r) => r.services?.db?.status === 'Fail',
      'cluster-status with db Fail',
    );
    m.note(`cluster-status: db Fail ${secs(Date.now() - t0)} after ${victims.join(' and ')} were killed`);
    const nodes = report.services.db.nodes as Record<string, { status: string; private_ip: string }>;
    const failed = Object.values(nodes)
      .filter((v) => v.status === 'Fail')
      .map((v) => v.private_ip)
      .sort();
    assert.deepEqual(failed, victims.map(ip).sort(), 'the two killed nodes fail, the survivor does not');
    assert.equal(report.status, 'Fail');
    const t1 = Date.now();
    const summary = await probe(`https://${ip('lb')}/api/v3.1/cluster-status?summary=true`, {
      ca,
      auth: ADMIN,
      timeoutMs: 10_000,
    });
    assert.equal(summary.status, 500, summary.body ?? summary.error);
    assert.deepEqual(JSON.parse(summary.body!), { status: 'Fail', services: {} });
    assert.ok(Date.now() - t1 < 5000, `the summary answered in ${Date.now() - t1} ms`);
  });
});
