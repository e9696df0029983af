import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { EVENT_KEYS, LOG_KEYS } from '../helpers/events.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const API = '/api/v3.1';

forEachDriver('events and logs', (fx) => {
  let m: TestManager;
  let execId = '';
  before(async () => {
    // No worker: the create_deployment_environment execution stays pending (the API contract alone).
    m = await startTestManager(fx, {}, null);
    const [t] = await m.db.query<{ id: number }>("SELECT id FROM tenants WHERE name = 'default_tenant'");
    const [u] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
    await m.db.query(
      `INSERT INTO blueprints (id, _tenant_id, _creator_id, state, plan) VALUES ('bp', $1, $2, 'uploaded', '{}'::jsonb)`,
      [t.id, u.id],
    );
    await m.call({ method: 'PUT', url: `${API}/deployments/d1`, payload: { blueprint_id: 'bp' } });
    const r = await m.call({ method: 'GET', url: `${API}/executions?_include_system_workflows=true` });
    execId = r.json().items[0].id;
    await m.call({
      method: 'POST',
      url: `${API}/nodes`,
      payload: { deployment_id: 'd1', nodes: [{ id: 'vm', type: 't' }] },
    });
    await m.call({
      method: 'POST',
      url: `${API}/node-instances`,
      payload: { deployment_id: 'd1', node_instances: [{ id: 'vm_1', node_id: 'vm' }] },
    });
  });
  after(async () => m?.close());

  const post = (payload: unknown) =>
    m.call({ method: 'POST', url: `${API}/events`, payload: payload as object });
  const list = (qs = '') => m.call({ method: 'GET', url: `${API}/events${qs}` });

  test('POST a batch of events and logs; GET them flattened', async () => {
    let r = await post({
      execution_id: execId,
      manager_name: 'mgr1',
      events: [
        {
          event_type: 'workflow_started',
          message: { text: "Starting 'create_deployment_environment' workflow execution", arguments: null },
          context: {},
          timestamp: '2026-01-01T00:00:01.000Z',
        },
        {
          event_type: 'task_failed',
          message: { text: 'Task failed' },
          context: {
            node_id: 'vm_1',
            operation: 'cloudify.interfaces.lifecycle.create',
            task_error_causes: [{ message: 'x' }],
          },
          timestamp: '2026-01-01T00:00:03.000Z',
        },
      ],
      logs: [
        {
          logger: 'ctx',
          level: 'info',
          message: { text: 'hello from the VM' },
          context: { node_id: 'vm_1' },
          timestamp: '2026-01-01T00:00:02.000Z',
        },
      ],
    });
    assert.equal(r.statusCode, 201, r.body);
    r = await list();
    assert.equal(r.statusCode, 200);
    const items = r.json().items;
    assert.equal(r.json().metadata.pagination.size, 10000);
    assert.deepEqual(
      items.map((i: any) => i.type),
      ['cloudify_event', 'cloudify_log', 'cloudify_event'],
    );
    const [started, log, failed] = items;
    // as in 5.1: reported_timestamp is the item's own time, timestamp when the manager stored it
    assert.equal(started.reported_timestamp, '2026-01-01T00:00:01.000Z');
    assert.match(started.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(started.timestamp > '2026-01-01T00:00:03.000Z');
    assert.equal(started.deployment_id, 'd1');
    assert.equal(started.blueprint_id, 'bp');
    assert.equal(started.execution_id, execId);
    assert.equal(started.workflow_id, 'create_deployment_environment');
    // manager_name is stored, not shown: Cloudify 5.1's items have no such key
    const [stored] = await m.db.query<{ manager_name: string }>(
      "SELECT manager_name FROM events WHERE event_type = 'workflow_started'",
    );
    assert.equal(stored.manager_name, 'mgr1');
    assert.deepEqual(Object.keys(started).sort(), EVENT_KEYS);
    assert.deepEqual(Object.keys(log).sort(), LOG_KEYS);
    assert.equal(log.error_causes, null);
    assert.equal(typeof started._storage_id, 'number');
    assert.equal(started.event_type, 'workflow_started');
    assert.ok(!('level' in started));
    assert.equal(log.logger, 'ctx');
    assert.equal(log.level, 'info');
    assert.equal(log.message, 'hello from the VM');
    assert.equal(log.node_instance_id, 'vm_1');
    assert.equal(log.node_name, 'vm');
    assert.ok(!('event_type' in log));
    assert.deepEqual(failed.error_causes, [{ message: 'x' }]);
    assert.equal(failed.operation, 'cloudify.interfaces.lifecycle.create');
  });

  test('filters, type, _range, _sort and paging', async () => {
    let r = await list('?type=cloudify_log');
    assert.equal(r.json().items.length, 1);
    r = await list('?type=cloudify_log&type=cloudify_event');
    assert.equal(r.json().items.length, 3);
    r = await list('?event_type=task_failed');
    assert.equal(r.json().items.length, 1);
    r = await list('?level=info');
    assert.equal(r.json().items.length, 1);
    r = await list(`?execution_id=${execId}&deployment_id=d1`);
    assert.equal(r.json().items.length, 3);
    r = await list('?deployment_id=other');
    assert.equal(r.json().items.length, 0);
    r = await list('?message=VM');
    assert.equal(r.json().items.length, 1);
    // the 5.1 client sends its message filter as message.text
    r = await list('?message.text=VM&type=cloudify_event&type=cloudify_log');
    assert.equal(r.json().items.length, 1);
    r = await list('?_range=reported_timestamp,2026-01-01T00:00:01.500Z,2026-01-01T00:00:02.500Z');
    assert.deepEqual(
      r.json().items.map((i: any) => i.type),
      ['cloudify_log'],
    );
    r = await list('?_range=reported_timestamp,2026-01-01T00:00:02.000Z,');
    assert.equal(r.json().items.length, 2);
    r = await list('?_range=@timestamp,2026-01-01T00:00:02.000Z,2026-01-02T00:00:00.000Z');
    assert.equal(r.json().items.length, 0);
    r = await list('?_sort=-reported_timestamp');
    assert.deepEqual(
      r.json().items.map((i: any) => i.reported_timestamp),
      ['2026-01-01T00:00:03.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:01.000Z'],
    );
    r = await list('?_sort=-reported_timestamp&_size=1&_offset=1');
    assert.equal(r.json().items.length, 1);
    assert.deepEqual(r.json().metadata.pagination, { total: 3, size: 1, offset: 1 });
    r = await list('?_size=1&_offset=10');
    assert.equal(r.json().metadata.pagination.total, 3);
  });

  test('errors: empty batch 204, bad items 400, unknown execution 404, bad filters, size, tenant', async () => {
    let r = await post({ execution_id: execId, events: [], logs: [] });
    assert.equal(r.statusCode, 204);
    r = await post({ execution_id: execId, events: [{ message: { text: 'x' }, context: {} }] });
    assert.equal(r.statusCode, 400);
    r = await post({ execution_id: execId, logs: [{ message: { text: 'x' }, context: {}, level: 'info' }] });
    assert.equal(r.statusCode, 400);
    r = await post({ execution_id: execId, logs: [{ context: {}, level: 'info', logger: 'l' }] });
    assert.equal(r.statusCode, 400);
    r = await post({ events: [{ event_type: 'a', message: { text: 'x' } }] });
    assert.equal(r.statusCode, 400);
    r = await post({ execution_id: 'nope', events: [{ event_type: 'a', message: { text: 'x' } }] });
    assert.equal(r.statusCode, 404);
    r = await m.call({
      method: 'POST',
      url: `${API}/events`,
      payload: '{"events": [',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 400);
    r = await list();
    assert.equal(r.json().items.length, 3, 'nothing partial was written');
    r = await list('?colour=red');
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await list('?_sort=colour');
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await list('?type=cloudify_other');
    assert.equal(r.statusCode, 400);
    r = await list('?_range=colour,1,2');
    assert.equal(r.statusCode, 400);
    r = await list('?_size=10001');
    assert.equal(r.statusCode, 400);
    r = await list('?_size=-1');
    assert.equal(r.statusCode, 400);
    r = await m.call({ method: 'GET', url: `${API}/events`, tenant: null });
    assert.equal(r.statusCode, 403);
  });
});
