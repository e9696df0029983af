import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { startHeartbeat } from '../../src/manager/cluster/heartbeat.js';
import { overallStatus, typeStatus } from '../../src/manager/cluster/status.js';
import { forEachDriver } from '../helpers/drivers.js';
import { freePort } from '../helpers/postgres.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';

test('quorum rules: managers need 1, db and broker a majority; overall is the worst', () => {
  const n = (ok: boolean) => ({ status: ok ? 'OK' : 'Fail' }) as Parameters<typeof typeStatus>[0][0];
  assert.equal(typeStatus([n(true), n(true)], 1), 'OK');
  assert.equal(typeStatus([n(true), n(false)], 1), 'Degraded');
  assert.equal(typeStatus([n(false), n(false)], 1), 'Fail');
  assert.equal(typeStatus([n(true), n(true), n(false)], 2), 'Degraded');
  assert.equal(typeStatus([n(true), n(false), n(false)], 2), 'Fail');
  assert.equal(typeStatus([], 1), 'OK');
  assert.equal(overallStatus(['OK', 'Degraded', 'OK']), 'Degraded');
  assert.equal(overallStatus(['Degraded', 'Fail']), 'Fail');
  assert.equal(overallStatus(['OK', 'OK', 'OK']), 'OK');
});

forEachDriver('cluster registry', (fx) => {
  let m: TestManager;
  let listener: Server;
  let openPort: number;
  before(async () => {
    m = await startTestManager(fx, { hostname: 'mgr-1', privateIp: '10.0.0.1', publicIp: '1.2.3.4' });
    listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()));
    openPort = (listener.address() as { port: number }).port;
    await m.call({ method: 'PUT', url: `${A}/users`, payload: { username: 'ned', password: 'pw-ned' } });
    await m.call({
      method: 'PUT',
      url: `${A}/tenants/users`,
      payload: { tenant_name: 'default_tenant', username: 'ned', role: 'viewer' },
    });
  });
  after(async () => {
    listener?.close();
    await m?.close();
  });

  test('GET /managers lists the row this manager upserted at start; ?hostname= filters', async () => {
    const r = await m.call({ method: 'GET', url: `${A}/managers` });
    assert.equal(r.statusCode, 200);
    const [mgr] = r.json().items;
    assert.equal(mgr.hostname, 'mgr-1');
    assert.equal(mgr.private_ip, '10.0.0.1');
    assert.equal(mgr.public_ip, '1.2.3.4');
    assert.equal(mgr.version, '5.1.2');
    assert.deepEqual(mgr.networks, { default: '10.0.0.1' });
    assert.match(mgr.last_seen, /Z$/);
    assert.equal(mgr.ca_cert_content, null);
    assert.equal(r.json().metadata.pagination.total, 1);
    const f = await m.call({ method: 'GET', url: `${A}/managers?hostname=nope` });
    assert.deepEqual(f.json().items, []);
    const g = await m.call({ method: 'GET', url: `${A}/managers?hostname=mgr-1` });
    assert.equal(g.json().items.length, 1);
    const bad = await m.call({ method: 'GET', url: `${A}/managers?colour=red` });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error_code, 'bad_parameters_error');
    const unauth = await m.call({ method: 'GET', url: `${A}/managers`, as: null });
    assert.equal(unauth.statusCode, 401);
  });

  test('an all-in-one manager lists its own broker and DB node, both OK in cluster-status', async () => {
    const brokers = await m.call({ method: 'GET', url: `${A}/brokers?_include=name,host,port,is_external` });
    assert.deepEqual(brokers.json().items, [
      { name: 'mgr-1', host: '10.0.0.1', port: 5671, is_external: false },
    ]);
    const dbs = await m.call({ method: 'GET', url: `${A}/db-nodes` });
    assert.deepEqual(dbs.json().items, [
      { name: 'mgr-1', node_id: 'mgr-1', host: '10.0.0.1', is_external: false },
    ]);
    const st = (await m.call({ method: 'GET', url: `${A}/cluster-status` })).json();
    assert.equal(st.status, 'OK', JSON.stringify(st));
    const bus = st.services.broker.nodes['mgr-1'].services['RabbitMQ Broker'];
    assert.equal(bus.extra_info.self_check.check, 'the in-process message bus of this manager');
    // The rest of this suite plays a cluster whose installer registered other nodes.
    await m.db.query('DELETE FROM rabbitmq_brokers');
    await m.db.query('DELETE FROM db_nodes');
  });

  test('GET /brokers blanks credentials unless sys_admin; GET /db-nodes lists', async () => {
    await m.db.query(
      `INSERT INTO rabbitmq_brokers (name, host, port, username, password, networks)
       VALUES ('rabbit-1', '127.0.0.1', $1, 'cfy', 's3cret', '{"default":"127.0.0.1"}')`,
      [openPort],
    );
    await m.db.query("INSERT INTO db_nodes (name, host) VALUES ('db-1', '127.0.0.1')");
    const admin = await m.call({ method: 'GET', url: `${A}/brokers` });
    assert.equal(admin.statusCode, 200);
    assert.equal(admin.json().items[0].username, 'cfy');
    assert.equal(admin.json().items[0].password, 's3cret');
    const ned = await m.call({ method: 'GET', url: `${A}/brokers`, as: basic('ned', 'pw-ned') });
    assert.equal(ned.statusCode, 200);
    assert.equal(ned.json().items[0].name, 'rabbit-1');
    assert.equal(ned.json().items[0].username, null);
    assert.equal(ned.json().items[0].password, null);
    const inc = await m.call({ method: 'GET', url: `${A}/brokers?_include=name,port` });
    assert.deepEqual(inc.json().items, [{ name: 'rabbit-1', port: openPort }]);
    const badInc = await m.call({ method: 'GET', url: `${A}/brokers?_include=nope` });
    assert.equal(badInc.json().error_code, 'no_such_include_field_error');
    const dbn = await m.call({ method: 'GET', url: `${A}/db-nodes` });
    assert.equal(dbn.statusCode, 200);
    assert.deepEqual(dbn.json().items, [
      { name: 'db-1', node_id: 'db-1', host: '127.0.0.1', is_external: false },
    ]);
    const badSize = await m.call({ method: 'GET', url: `${A}/db-nodes?_size=abc` });
    assert.equal(badSize.statusCode, 400);
  });

  test('cluster-status: all OK, then Degraded and Fail by the quorum rules', async () => {
    const ok = await m.call({ method: 'GET', url: `${A}/cluster-status` });
    assert.equal(ok.statusCode, 200);
    const body = ok.json();
    assert.equal(body.status, 'OK', JSON.stringify(body));
    assert.equal(body.services.manager.status, 'OK');
    assert.equal(body.services.manager.nodes['mgr-1'].private_ip, '10.0.0.1');
    assert.equal(body.services.manager.nodes['mgr-1'].status, 'OK');
    assert.equal(body.services.db.nodes['db-1'].status, 'OK');
    assert.equal(body.services.broker.nodes['rabbit-1'].status, 'OK');
    // Without config.prometheus each node's service entry says the manager checked it itself.
    const self = body.services.broker.nodes['rabbit-1'].services['RabbitMQ Broker'];
    assert.equal(self.status, 'Active');
    assert.equal(self.extra_info.self_check.checked_by, 'mgr-1');
    assert.equal(self.extra_info.self_check.check, `TCP connect to 127.0.0.1:${openPort}`);
    assert.match(self.extra_info.self_check.note, /No Prometheus is configured/);
    assert.equal(
      body.services.manager.nodes['mgr-1'].services['Manager REST'].extra_info.self_check.check,
      'this manager answered the request',
    );
    const sum = await m.call({ method: 'GET', url: `${A}/cluster-status?summary=true` });
    assert.deepEqual(sum.json(), { status: 'OK', services: {} });

    // A second manager not seen for 10 minutes: managers are Degraded (quorum 1).
    await m.db.query(
      `INSERT INTO managers (hostname, private_ip, public_ip, version, edition, distribution, distro_release, last_seen)
       VALUES ('mgr-2', '10.0.0.2', '10.0.0.2', '5.1', 'community', 'stratus', 'debian-12', now() - interval '10 minutes')`,
    );
    const deg = await m.call({ method: 'GET', url: `${A}/cluster-status` });
    assert.equal(deg.json().status, 'Degraded');
    assert.equal(deg.json().services.manager.status, 'Degraded');
    assert.equal(deg.json().services.manager.nodes['mgr-2'].status, 'Fail');
    assert.match(deg.json().services.manager.nodes['mgr-2'].failures[0], /not seen/);
    assert.deepEqual((await m.call({ method: 'GET', url: `${A}/cluster-status?summary=true` })).json(), {
      status: 'Degraded',
      services: {},
    });

    // A second broker on a closed port: 1 of 2 healthy is below the majority (2) → Fail, and the
    // summary answers 500.
    const closed = await freePort();
    await m.db.query("INSERT INTO rabbitmq_brokers (name, host, port) VALUES ('rabbit-2', '127.0.0.1', $1)", [
      closed,
    ]);
    const fail = await m.call({ method: 'GET', url: `${A}/cluster-status` });
    assert.equal(fail.statusCode, 200);
    assert.equal(fail.json().status, 'Fail');
    assert.equal(fail.json().services.broker.status, 'Fail');
    assert.match(fail.json().services.broker.nodes['rabbit-2'].failures[0], /RabbitMQ not active/);
    const failSum = await m.call({ method: 'GET', url: `${A}/cluster-status?summary=true` });
    assert.equal(failSum.statusCode, 500);
    assert.deepEqual(failSum.json(), { status: 'Fail', services: {} });

    // External brokers are reported without nodes.
    await m.db.query('UPDATE rabbitmq_brokers SET is_external = true');
    const ext = await m.call({ method: 'GET', url: `${A}/cluster-status` });
    assert.deepEqual(ext.json().services.broker, { is_external: true, status: 'OK' });

    const badQ = await m.call({ method: 'GET', url: `${A}/cluster-status?bogus=1` });
    assert.equal(badQ.statusCode, 400);
    const unauth = await m.call({ method: 'GET', url: `${A}/cluster-status`, as: null });
    assert.equal(unauth.statusCode, 401);
    const viewer = await m.call({ method: 'GET', url: `${A}/cluster-status`, as: basic('ned', 'pw-ned') });
    assert.equal(viewer.statusCode, 200);
  });

  test('the heartbeat keeps another manager fresh', async () => {
    await m.db.query("UPDATE managers SET last_seen = now() - interval '1 hour' WHERE hostname = 'mgr-2'");
    const stop = startHeartbeat(m.db, 'mgr-2', 20);
    await new Promise((r) => setTimeout(r, 150));
    stop();
    const r = await m.call({ method: 'GET', url: `${A}/cluster-status` });
    assert.equal(r.json().services.manager.nodes['mgr-2'].status, 'OK');
    assert.equal(r.json().services.manager.status, 'OK');
  });
});
