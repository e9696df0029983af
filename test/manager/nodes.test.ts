import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const API = '/api/v3.1';

forEachDriver('nodes and node instances', (fx) => {
  let m: TestManager;
  before(async () => {
    // No worker: the create_deployment_environment execution stays pending (the API contract alone).
    m = await startTestManager(fx, {}, null);
    const [t] = await m.db.query<{ id: number }>("SELECT id FROM tenants WHERE name = 'default_tenant'");
    const [u] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
    await m.db.query(
      `INSERT INTO blueprints (id, _tenant_id, _creator_id, state, plan) VALUES ('bp', $1, $2, 'uploaded', '{}'::jsonb)`,
      [t.id, u.id],
    );
    const r = await m.call({ method: 'PUT', url: `${API}/deployments/d1`, payload: { blueprint_id: 'bp' } });
    assert.equal(r.statusCode, 201, r.body);
  });
  after(async () => m?.close());

  test('bulk create nodes, list with filters; duplicate is 409; unknown deployment 404', async () => {
    const nodes = [
      {
        id: 'vm',
        type: 'cloudify.nodes.Compute',
        type_hierarchy: ['cloudify.nodes.Root', 'cloudify.nodes.Compute'],
        properties: { ip: '10.0.0.1' },
        capabilities: {
          scalable: { properties: { default_instances: 2, min_instances: 1, max_instances: 5 } },
        },
        host_id: 'vm',
      },
      { id: 'app', type: 'cloudify.nodes.Root', relationships: [{ type: 'contained_in', target_id: 'vm' }] },
    ];
    let r = await m.call({ method: 'POST', url: `${API}/nodes`, payload: { deployment_id: 'd1', nodes } });
    assert.equal(r.statusCode, 201, r.body);
    r = await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=d1&_sort=id` });
    const items = r.json().items;
    assert.deepEqual(
      items.map((n: any) => n.id),
      ['app', 'vm'],
    );
    const vm = items[1];
    assert.equal(vm.number_of_instances, 2);
    assert.equal(vm.actual_planned_number_of_instances, 2);
    assert.equal(vm.min_number_of_instances, 1);
    assert.equal(vm.max_number_of_instances, 5);
    assert.equal(vm.deployment_id, 'd1');
    assert.equal(vm.blueprint_id, 'bp');
    assert.deepEqual(vm.properties, { ip: '10.0.0.1' });
    r = await m.call({ method: 'GET', url: `${API}/nodes?id=app` });
    assert.equal(r.json().items.length, 1);
    // 5.1: a scaling group holding the node multiplies its planned instances.
    await m.db.query(
      `UPDATE deployments SET scaling_groups = '{"g": {"members": ["vm"], "properties": {"planned_instances": 3}}}'::jsonb WHERE id = 'd1'`,
    );
    r = await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=d1&_sort=id` });
    assert.deepEqual(
      r.json().items.map((n: any) => [n.id, n.actual_planned_number_of_instances]),
      [
        ['app', 1],
        ['vm', 6],
      ],
    );
    await m.db.query(`UPDATE deployments SET scaling_groups = '{}'::jsonb WHERE id = 'd1'`);
    r = await m.call({
      method: 'POST',
      url: `${API}/nodes`,
      payload: { deployment_id: 'd1', nodes: [nodes[1]] },
    });
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().error_code, 'conflict_error');
    r = await m.call({ method: 'POST', url: `${API}/nodes`, payload: { deployment_id: 'nope', nodes: [] } });
    assert.equal(r.statusCode, 404);
    r = await m.call({ method: 'GET', url: `${API}/nodes?colour=red` });
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await m.call({ method: 'GET', url: `${API}/nodes`, tenant: null });
    assert.equal(r.statusCode, 403);
  });

  test('bulk create node instances; get, list; errors', async () => {
    const instances = [
      { id: 'vm_1', node_id: 'vm', host_id: 'vm_1', index: 1, runtime_properties: { a: 1 } },
      { id: 'vm_2', node_id: 'vm', host_id: 'vm_2', index: 2 },
      {
        id: 'app_1',
        node_id: 'app',
        host_id: 'vm_1',
        relationships: [{ target_id: 'vm_1', type: 'contained_in' }],
      },
    ];
    let r = await m.call({
      method: 'POST',
      url: `${API}/node-instances`,
      payload: { deployment_id: 'd1', node_instances: instances },
    });
    assert.equal(r.statusCode, 201, r.body);
    r = await m.call({ method: 'GET', url: `${API}/node-instances/vm_1` });
    const vm1 = r.json();
    assert.equal(vm1.state, 'uninitialized');
    assert.equal(vm1.version, 1);
    assert.equal(vm1.node_id, 'vm');
    assert.equal(vm1.deployment_id, 'd1');
    assert.deepEqual(vm1.runtime_properties, { a: 1 });
    r = await m.call({ method: 'GET', url: `${API}/node-instances?node_id=vm&_sort=-id` });
    assert.deepEqual(
      r.json().items.map((i: any) => i.id),
      ['vm_2', 'vm_1'],
    );
    r = await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=d1&_size=2` });
    assert.equal(r.json().items.length, 2);
    assert.equal(r.json().metadata.pagination.total, 3);
    r = await m.call({
      method: 'POST',
      url: `${API}/node-instances`,
      payload: { deployment_id: 'd1', node_instances: [{ id: 'vm_1', node_id: 'vm' }] },
    });
    assert.equal(r.statusCode, 409);
    r = await m.call({
      method: 'POST',
      url: `${API}/node-instances`,
      payload: { deployment_id: 'd1', node_instances: [{ id: 'x_1', node_id: 'ghost' }] },
    });
    assert.equal(r.statusCode, 400);
    r = await m.call({ method: 'GET', url: `${API}/node-instances/nope` });
    assert.equal(r.statusCode, 404);
    r = await m.call({ method: 'GET', url: `${API}/node-instances?_sort=colour` });
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await m.call({ method: 'GET', url: `${API}/node-instances?_size=10001` });
    assert.equal(r.statusCode, 400);
  });

  test('PATCH node instance: optimistic lock, version increments, runtime properties round-trip', async () => {
    const props = {
      nested: { list: [1, 'two', { three: 3 }], nul: null },
      'key.with.dots': true,
      unicode: 'é✓',
    };
    let r = await m.call({
      method: 'PATCH',
      url: `${API}/node-instances/vm_2`,
      payload: { version: 1, state: 'started', runtime_properties: props },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().version, 2);
    assert.equal(r.json().state, 'started');
    assert.deepEqual(r.json().runtime_properties, props);
    r = await m.call({
      method: 'PATCH',
      url: `${API}/node-instances/vm_2`,
      payload: { version: 1, state: 'x' },
    });
    assert.equal(r.statusCode, 409);
    assert.deepEqual(r.json(), {
      message: 'Node instance update conflict [current version=2]',
      error_code: 'conflict_error',
      server_traceback: null,
    });
    r = await m.call({ method: 'PATCH', url: `${API}/node-instances/vm_2`, payload: { version: 2 } });
    assert.equal(r.json().version, 3);
    assert.deepEqual(r.json().runtime_properties, props);
    assert.equal(r.json().state, 'started');
    r = await m.call({
      method: 'PATCH',
      url: `${API}/node-instances/vm_2?force=true`,
      payload: { version: 1, system_properties: { s: 1 } },
    });
    assert.equal(r.json().version, 4);
    assert.deepEqual(r.json().system_properties, { s: 1 });
    // Concurrent writers with the same version: exactly one wins.
    const racers = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        m.call({
          method: 'PATCH',
          url: `${API}/node-instances/vm_1`,
          payload: { version: 1, runtime_properties: { writer: i } },
        }),
      ),
    );
    assert.deepEqual(racers.map((x) => x.statusCode).sort(), [200, 409, 409, 409, 409]);
    r = await m.call({ method: 'PATCH', url: `${API}/node-instances/vm_2`, payload: { state: 'started' } });
    assert.equal(r.statusCode, 400);
    r = await m.call({
      method: 'PATCH',
      url: `${API}/node-instances/vm_2`,
      payload: { version: 4, relationships: [] },
    });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().error_code, 'only_deployment_update');
    r = await m.call({ method: 'PATCH', url: `${API}/node-instances/nope`, payload: { version: 1 } });
    assert.equal(r.statusCode, 404);
    r = await m.call({
      method: 'PATCH',
      url: `${API}/node-instances/vm_2`,
      payload: '{"version": 1',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 400);
    // A deployment with a started instance cannot be deleted without force.
    const sys = await m.call({
      method: 'GET',
      url: `${API}/executions?_include_system_workflows=true&deployment_id=d1`,
    });
    await m.call({
      method: 'PATCH',
      url: `${API}/executions/${sys.json().items[0].id}`,
      payload: { status: 'terminated' },
    });
    r = await m.call({ method: 'DELETE', url: `${API}/deployments/d1` });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'dependent_exists_error');
    assert.match(r.json().message, /vm_2/);
    const dep = (await m.call({ method: 'GET', url: `${API}/deployments/d1` })).json();
    assert.equal(dep.installation_status, 'inactive');
  });
});
