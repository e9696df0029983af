// 5.1's small manager endpoints: maintenance mode, sites, config, provider context, agents, and the
// user and tenant lists' counts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';

forEachDriver('manager settings', (fx) => {
  let m: TestManager;
  const ned = basic('ned', 'pw-ned');
  before(async () => {
    m = await startTestManager(fx, {}, null);
    await m.call({ method: 'PUT', url: `${A}/users`, payload: { username: 'ned', password: 'pw-ned' } });
    await m.call({
      method: 'PUT',
      url: `${A}/tenants/users`,
      payload: { tenant_name: 'default_tenant', username: 'ned', role: 'viewer' },
    });
  });
  after(async () => m?.close());

  test('maintenance mode: activating while an execution runs, then activated; 503s; deactivate', async () => {
    const off = await m.call({ method: 'GET', url: `${A}/maintenance` });
    assert.deepEqual(off.json(), {
      status: 'deactivated',
      activated_at: '',
      activation_requested_at: '',
      remaining_executions: null,
      requested_by: '',
    });
    assert.equal(
      (await m.call({ method: 'POST', url: `${A}/maintenance/activate`, as: ned })).statusCode,
      403,
    );
    await m.db.query(
      "INSERT INTO executions (id, _tenant_id, _creator_id, workflow_id, status) VALUES ('mx1', 0, 0, 'install', 'started')",
    );
    const act = await m.call({ method: 'POST', url: `${A}/maintenance/activate` });
    assert.equal(act.statusCode, 200);
    assert.equal(act.json().status, 'activating');
    assert.equal(act.json().requested_by, 'admin');
    assert.equal(act.json().activated_at, null);
    assert.deepEqual(act.json().remaining_executions, [
      { id: 'mx1', status: 'started', deployment_id: null, workflow_id: 'install' },
    ]);
    assert.equal((await m.call({ method: 'POST', url: `${A}/maintenance/activate` })).statusCode, 304);
    // Activating: new executions are refused, reads still answer.
    const start = await m.call({
      method: 'POST',
      url: `${A}/executions`,
      payload: { deployment_id: 'x', workflow_id: 'install' },
    });
    assert.equal(start.statusCode, 503);
    assert.equal(start.json().error_code, 'entering_maintenance_mode');
    assert.equal(start.json().server_traceback, null);
    assert.equal((await m.call({ method: 'GET', url: `${A}/blueprints` })).statusCode, 200);
    assert.equal((await m.call({ method: 'GET', url: `${A}/maintenance` })).json().status, 'activating');

    await m.db.query("UPDATE executions SET status = 'terminated' WHERE id = 'mx1'");
    const now = (await m.call({ method: 'GET', url: `${A}/maintenance` })).json();
    assert.equal(now.status, 'activated');
    assert.match(now.activated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(now.remaining_executions, null);
    const blocked = await m.call({ method: 'GET', url: `${A}/blueprints` });
    assert.equal(blocked.statusCode, 503);
    assert.equal(blocked.json().error_code, 'maintenance_mode_active');
    assert.match(blocked.json().message, /maintenance mode/);
    for (const url of [`${A}/status`, `${A}/version`, '/api/version', `${A}/brokers`, `${A}/config`]) {
      assert.equal((await m.call({ method: 'GET', url })).statusCode, 200, url);
    }
    const bypass = { 'x-bypass-maintenance': 'true' };
    assert.equal((await m.call({ method: 'GET', url: `${A}/blueprints`, headers: bypass })).statusCode, 200);
    const viewerBypass = await m.call({ method: 'GET', url: `${A}/blueprints`, headers: bypass, as: ned });
    assert.equal(viewerBypass.statusCode, 503);

    const deact = await m.call({ method: 'POST', url: `${A}/maintenance/deactivate` });
    assert.equal(deact.statusCode, 200);
    assert.equal(deact.json().status, 'deactivated');
    assert.equal((await m.call({ method: 'GET', url: `${A}/blueprints` })).statusCode, 200);
    assert.equal((await m.call({ method: 'POST', url: `${A}/maintenance/deactivate` })).statusCode, 304);
    assert.equal((await m.call({ method: 'POST', url: `${A}/maintenance/nope` })).statusCode, 400);
    // No execution running: activate goes straight to activated.
    const direct = await m.call({ method: 'POST', url: `${A}/maintenance/activate` });
    assert.equal(direct.json().status, 'activated');
    assert.deepEqual(direct.json().remaining_executions, []);
    await m.call({ method: 'POST', url: `${A}/maintenance/deactivate` });
  });

  test('sites: create, list, get, update (location, rename, visibility), delete; bad input', async () => {
    const put = await m.call({ method: 'PUT', url: `${A}/sites/tlv`, payload: { location: '32.07,34.78' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().name, 'tlv');
    assert.equal(put.json().location, '32.07, 34.78');
    assert.equal(put.json().visibility, 'tenant');
    assert.equal(put.json().created_by, 'admin');
    assert.equal(put.json().id, undefined);
    const dup = await m.call({ method: 'PUT', url: `${A}/sites/tlv`, payload: {} });
    assert.equal(dup.statusCode, 409);
    for (const location of ['32.07', 'a,b', '91,0']) {
      const bad = await m.call({ method: 'PUT', url: `${A}/sites/s2`, payload: { location } });
      assert.equal(bad.statusCode, 400, location);
      assert.match(bad.json().message, /Invalid location/);
    }
    assert.equal(
      (await m.call({ method: 'PUT', url: `${A}/sites/s2`, payload: {}, as: ned })).statusCode,
      403,
    );
    const list = await m.call({ method: 'GET', url: `${A}/sites`, as: ned });
    assert.deepEqual(
      list.json().items.map((s: { name: string }) => s.name),
      ['tlv'],
    );
    const upd = await m.call({
      method: 'POST',
      url: `${A}/sites/tlv`,
      payload: { new_name: 'telaviv', location: '32,34', visibility: 'global' },
    });
    assert.equal(upd.statusCode, 200, upd.body);
    assert.equal(upd.json().name, 'telaviv');
    assert.equal(upd.json().location, '32.0, 34.0');
    assert.equal(upd.json().visibility, 'global');
    const narrow = await m.call({
      method: 'POST',
      url: `${A}/sites/telaviv`,
      payload: { visibility: 'tenant' },
    });
    assert.equal(narrow.statusCode, 400);
    const clear = await m.call({ method: 'POST', url: `${A}/sites/telaviv`, payload: { location: '' } });
    assert.equal(clear.json().location, null);
    assert.equal((await m.call({ method: 'GET', url: `${A}/sites/tlv` })).statusCode, 404);
    assert.equal((await m.call({ method: 'DELETE', url: `${A}/sites/telaviv` })).statusCode, 204);
    assert.equal((await m.call({ method: 'GET', url: `${A}/sites/telaviv` })).statusCode, 404);
  });

  test('config: list by scope, get by [scope.]name, PUT checked against the schema', async () => {
    const all = (await m.call({ method: 'GET', url: `${A}/config` })).json();
    assert.ok(all.items.length >= 30);
    assert.ok(all.authorization.permissions.maintenance_mode_set.includes('sys_admin'));
    const rest = (await m.call({ method: 'GET', url: `${A}/config?scope=rest` })).json();
    assert.ok(rest.items.every((i: { scope: string }) => i.scope === 'rest'));
    assert.equal(rest.authorization, undefined);
    const one = (await m.call({ method: 'GET', url: `${A}/config/rest.default_page_size` })).json();
    assert.deepEqual(
      {
        name: one.name,
        scope: one.scope,
        value: one.value,
        schema: one.schema,
        is_editable: one.is_editable,
      },
      {
        name: 'default_page_size',
        scope: 'rest',
        value: 1000,
        schema: { type: 'number', minimum: 1 },
        is_editable: true,
      },
    );
    const amb = await m.call({ method: 'GET', url: `${A}/config/max_workers` });
    assert.equal(amb.statusCode, 409);
    assert.equal(amb.json().error_code, 'ambiguous_name');
    assert.equal((await m.call({ method: 'GET', url: `${A}/config/nope` })).statusCode, 404);
    const set = await m.call({ method: 'PUT', url: `${A}/config/agent.heartbeat`, payload: { value: 45 } });
    assert.equal(set.statusCode, 200, set.body);
    assert.equal(set.json().value, 45);
    assert.equal(set.json().updater_name, 'admin');
    for (const [name, value] of [
      ['agent.heartbeat', 'x'],
      ['agent.heartbeat', -1],
      ['rest_service_log_level', 'LOUD'],
    ] as const) {
      const bad = await m.call({ method: 'PUT', url: `${A}/config/${name}`, payload: { value } });
      assert.equal(bad.statusCode, 409, `${name}=${value}`);
    }
    const ro = await m.call({ method: 'PUT', url: `${A}/config/file_server_root`, payload: { value: '/x' } });
    assert.equal(ro.statusCode, 409);
    assert.match(ro.json().message, /not editable/);
    const forced = await m.call({
      method: 'PUT',
      url: `${A}/config/file_server_root`,
      payload: { value: '/x', force: true },
    });
    assert.equal(forced.json().value, '/x');
    const viewer = await m.call({
      method: 'PUT',
      url: `${A}/config/agent.heartbeat`,
      payload: { value: 1 },
      as: ned,
    });
    assert.equal(viewer.statusCode, 403);
    assert.equal((await m.call({ method: 'GET', url: `${A}/config`, as: ned })).statusCode, 200);
  });

  test('provider context and agents', async () => {
    const pc = await m.call({ method: 'GET', url: `${A}/provider/context`, as: ned });
    assert.equal(pc.statusCode, 200);
    assert.equal(pc.json().name, 'provider');
    assert.equal(typeof pc.json().context.cloudify, 'object');
    const agents = await m.call({
      method: 'GET',
      url: `${A}/agents?state=started&deployment_id=d1&node_ids=vm&_size=10`,
      as: ned,
    });
    assert.equal(agents.statusCode, 200);
    assert.deepEqual(agents.json(), {
      items: [],
      metadata: { pagination: { total: 0, size: 10, offset: 0 }, filtered: null },
    });
    const bad = await m.call({ method: 'GET', url: `${A}/agents?colour=red` });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /colour/);
  });

  test('users and tenants: counts unless _get_data', async () => {
    const tenants = (await m.call({ method: 'GET', url: `${A}/tenants` })).json().items;
    assert.deepEqual(tenants[0], { id: tenants[0].id, name: 'default_tenant', users: 2, groups: 0 });
    const full = (await m.call({ method: 'GET', url: `${A}/tenants?_get_data=true` })).json().items[0];
    assert.deepEqual(full.users.ned, { 'tenant-role': 'viewer', roles: ['viewer'] });
    assert.equal(full.user_roles.direct.ned, 'viewer');
    const users = (await m.call({ method: 'GET', url: `${A}/users` })).json().items;
    const nedRow = users.find((u: { username: string }) => u.username === 'ned');
    assert.equal(nedRow.tenants, 1);
    assert.equal(nedRow.groups, 0);
    const nedFull = (await m.call({ method: 'GET', url: `${A}/users/ned?_get_data=True` })).json();
    assert.deepEqual(nedFull.tenants, { default_tenant: { 'tenant-role': 'viewer', roles: ['viewer'] } });
  });
});
