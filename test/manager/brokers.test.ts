import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';

forEachDriver('broker registration', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx, { hostname: 'mgr-b', privateIp: '10.0.1.1', publicIp: '10.0.1.1' });
    await m.call({ method: 'PUT', url: `${A}/users`, payload: { username: 'ops', password: 'pw-ops' } });
    await m.call({
      method: 'PUT',
      url: `${A}/tenants/users`,
      payload: { tenant_name: 'default_tenant', username: 'ops', role: 'manager' },
    });
    const ca = await m.db.query<{ id: number }>(
      "INSERT INTO certificates (name, value) VALUES ('rabbitmq-ca', 'PEM-CA') RETURNING id",
    );
    // A cluster's installer registered its brokers: not the all-in-one's own row.
    await m.db.query('DELETE FROM rabbitmq_brokers');
    await m.db.query(
      `INSERT INTO rabbitmq_brokers (name, host, port, username, password, params, networks, _ca_cert_id)
       VALUES ('rabbit-1', '10.0.2.1', 5671, 'cfy', 's3cret', '{"heartbeat":30}', '{"default":"10.0.2.1"}', $1)`,
      [ca[0]!.id],
    );
  });
  after(async () => {
    await m?.close();
  });

  test('POST /brokers registers a broker sharing the cluster credentials and CA; defaults port and network', async () => {
    const r = await m.call({
      method: 'POST',
      url: `${A}/brokers`,
      payload: { name: 'rabbit-2', address: '10.0.2.2' },
    });
    assert.equal(r.statusCode, 200, r.body);
    const b = r.json();
    assert.equal(b.name, 'rabbit-2');
    assert.equal(b.host, '10.0.2.2');
    assert.equal(b.port, 5671);
    assert.deepEqual(b.networks, { default: '10.0.2.2' });
    assert.equal(b.username, 'cfy');
    assert.equal(b.password, 's3cret');
    assert.deepEqual(b.params, { heartbeat: 30 });
    assert.equal(b.ca_cert_content, 'PEM-CA');
    assert.equal(b.is_external, false);
    const withNet = await m.call({
      method: 'POST',
      url: `${A}/brokers`,
      payload: {
        name: 'rabbit-3',
        address: '10.0.2.3',
        port: 5672,
        networks: { default: '10.0.2.3', lb: '192.168.0.3' },
      },
    });
    assert.equal(withNet.statusCode, 200, withNet.body);
    assert.equal(withNet.json().port, 5672);
    assert.deepEqual(withNet.json().networks, { default: '10.0.2.3', lb: '192.168.0.3' });
    const list = await m.call({ method: 'GET', url: `${A}/brokers?_include=name,host` });
    assert.deepEqual(
      list.json().items.map((i: { name: string }) => i.name),
      ['rabbit-1', 'rabbit-2', 'rabbit-3'],
    );
  });

  test('POST /brokers: bad input 400, duplicate 409, non-admin 403, no credentials 401', async () => {
    const bads = [
      { address: '10.0.2.9' },
      { name: 'x', address: '' },
      { name: 'x', address: '10.0.2.9', port: 70000 },
      { name: 'x', address: '10.0.2.9', port: 'five' },
      { name: 'x', address: '10.0.2.9', networks: { lb: { ip: '1.2.3.4' } } },
      { name: 'x', address: '10.0.2.9', colour: 'red' },
      // Given networks must list the address (Cloudify's check).
      { name: 'x', address: '10.0.2.9', networks: { lb: '1.2.3.4' } },
    ];
    for (const payload of bads) {
      const r = await m.call({ method: 'POST', url: `${A}/brokers`, payload });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(r.json().error_code, 'bad_parameters_error');
      assert.equal(typeof r.json().message, 'string');
    }
    const dup = await m.call({
      method: 'POST',
      url: `${A}/brokers`,
      payload: { name: 'rabbit-1', address: '10.9.9.9' },
    });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error_code, 'conflict_error');
    assert.match(dup.json().message, /rabbit-1/);
    const still = await m.call({ method: 'GET', url: `${A}/brokers?name=rabbit-1` });
    assert.equal(still.json().items[0].host, '10.0.2.1');
    const ops = await m.call({
      method: 'POST',
      url: `${A}/brokers`,
      payload: { name: 'rabbit-9', address: '10.0.2.9' },
      as: basic('ops', 'pw-ops'),
    });
    assert.equal(ops.statusCode, 403);
    assert.equal(ops.json().error_code, 'forbidden_error');
    const anon = await m.call({
      method: 'POST',
      url: `${A}/brokers`,
      payload: { name: 'r', address: 'h' },
      as: null,
    });
    assert.equal(anon.statusCode, 401);
    const none = await m.call({ method: 'GET', url: `${A}/brokers?name=rabbit-9` });
    assert.deepEqual(none.json().items, []);
  });

  test('PUT /brokers/{name} merges networks (a given name gets the given address); unknown 404; non-admin 403', async () => {
    const r = await m.call({
      method: 'PUT',
      url: `${A}/brokers/rabbit-2`,
      payload: { networks: { lb: '192.168.0.2' } },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().networks, { default: '10.0.2.2', lb: '192.168.0.2' });
    const same = await m.call({
      method: 'PUT',
      url: `${A}/brokers/rabbit-2`,
      payload: { networks: { lb: '192.168.0.2' } },
    });
    assert.equal(same.statusCode, 200);
    const moved = await m.call({
      method: 'PUT',
      url: `${A}/brokers/rabbit-2`,
      payload: { networks: { default: '10.7.7.7' } },
    });
    assert.equal(moved.statusCode, 200);
    assert.deepEqual(moved.json().networks, { default: '10.7.7.7', lb: '192.168.0.2' });
    const missing = await m.call({
      method: 'PUT',
      url: `${A}/brokers/nope`,
      payload: { networks: { a: '1.1.1.1' } },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error_code, 'not_found_error');
    const noBody = await m.call({ method: 'PUT', url: `${A}/brokers/rabbit-2`, payload: {} });
    assert.equal(noBody.statusCode, 400);
    const ops = await m.call({
      method: 'PUT',
      url: `${A}/brokers/rabbit-2`,
      payload: { networks: { x: '1.1.1.1' } },
      as: basic('ops', 'pw-ops'),
    });
    assert.equal(ops.statusCode, 403);
    const after = await m.call({ method: 'GET', url: `${A}/brokers?name=rabbit-2` });
    assert.deepEqual(after.json().items[0].networks, { default: '10.7.7.7', lb: '192.168.0.2' });
  });

  test('DELETE /brokers/{name} unregisters; unknown 404; non-admin 403; the last broker stays', async () => {
    const ops = await m.call({ method: 'DELETE', url: `${A}/brokers/rabbit-2`, as: basic('ops', 'pw-ops') });
    assert.equal(ops.statusCode, 403);
    const r = await m.call({ method: 'DELETE', url: `${A}/brokers/rabbit-2` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().name, 'rabbit-2', 'the deleted broker is returned');
    const again = await m.call({ method: 'DELETE', url: `${A}/brokers/rabbit-2` });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error_code, 'not_found_error');
    assert.equal((await m.call({ method: 'DELETE', url: `${A}/brokers/rabbit-3` })).statusCode, 200);
    const last = await m.call({ method: 'DELETE', url: `${A}/brokers/rabbit-1` });
    assert.equal(last.statusCode, 400);
    assert.match(last.json().message, /last registered broker/);
    const list = await m.call({ method: 'GET', url: `${A}/brokers` });
    assert.deepEqual(
      list.json().items.map((i: { name: string }) => i.name),
      ['rabbit-1'],
    );
  });
});
