import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

forEachDriver('REST core', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx, { failedLoginsBeforeLock: 4 });
  });
  after(async () => m?.close());

  test('unauthenticated /status is 401 with Cloudify exact body', async () => {
    const r = await m.call({ method: 'GET', url: '/api/v3.1/status', as: null, tenant: null });
    assert.equal(r.statusCode, 401);
    assert.deepEqual(r.json(), {
      message: 'User unauthorized: No authentication info provided',
      error_code: 'unauthorized_error',
      server_traceback: null,
    });
  });

  test('authenticated /status shows the service map; /ok is open', async () => {
    const r = await m.call({ method: 'GET', url: '/api/v3.1/status' });
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.equal(body.status, 'OK');
    assert.equal(body.services['Manager Rest-Service'].status, 'Active');
    const s = await m.call({ method: 'GET', url: '/api/v3.1/status?summary=true' });
    assert.deepEqual(s.json().services, {});
    const ok = await m.call({ method: 'GET', url: '/api/v3.1/ok', as: null, tenant: null });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'OK');
  });

  test('version answers with and without the API prefix', async () => {
    for (const url of ['/api/version', '/api/v3.1/version']) {
      const r = await m.call({ method: 'GET', url });
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().edition, 'community');
      assert.equal(r.json().version, '5.1.2');
      assert.equal(r.json().build, null);
    }
  });

  test('tokens: the secret is shown once and authenticates; bad tokens are 401', async () => {
    const r = await m.call({ method: 'POST', url: '/api/v3.1/tokens', payload: { description: 'ci' } });
    assert.equal(r.statusCode, 200);
    const tok = r.json();
    assert.match(tok.value, /^ctok-[A-Za-z0-9]{10}-[A-Za-z0-9]{40}$/);
    assert.equal(tok.username, 'admin');
    const use = await m.call({
      method: 'GET',
      url: '/api/v3.1/status',
      as: null,
      headers: { 'authentication-token': tok.value },
    });
    assert.equal(use.statusCode, 200);
    const one = await m.call({ method: 'GET', url: `/api/v3.1/tokens/${tok.id}` });
    assert.equal(one.json().value, '********');
    // 5.1's GET /tokens (`cfy tokens get`): a fresh token as {username, value, role} that authenticates.
    const got = await m.call({ method: 'GET', url: '/api/v3.1/tokens' });
    assert.deepEqual(Object.keys(got.json()).sort(), ['role', 'username', 'value']);
    assert.equal(got.json().username, 'admin');
    assert.equal(got.json().role, 'sys_admin');
    const byGot = await m.call({
      method: 'GET',
      url: '/api/v3.1/status',
      as: null,
      headers: { 'authentication-token': got.json().value },
    });
    assert.equal(byGot.statusCode, 200);
    const bad = await m.call({
      method: 'GET',
      url: '/api/v3.1/status',
      as: null,
      headers: { 'authentication-token': 'ctok-bad' },
    });
    assert.equal(bad.statusCode, 401);
    assert.match(bad.json().message, /Invalid token structure/);
    const del = await m.call({ method: 'DELETE', url: `/api/v3.1/tokens/${tok.id}` });
    assert.equal(del.statusCode, 204);
    const after = await m.call({
      method: 'GET',
      url: '/api/v3.1/status',
      as: null,
      headers: { 'authentication-token': tok.value },
    });
    assert.equal(after.statusCode, 401);
    const expired = await m.call({
      method: 'POST',
      url: '/api/v3.1/tokens',
      payload: { expiration_date: '2001-01-01T00:00:00Z' },
    });
    const exp = await m.call({
      method: 'GET',
      url: '/api/v3.1/status',
      as: null,
      headers: { 'authentication-token': expired.json().value },
    });
    assert.equal(exp.statusCode, 401);
    assert.match(exp.json().message, /expired/);
  });

  test('an Execution-Token authenticates while its execution is active, and names it', async () => {
    const { sha256 } = await import('../../src/common/tokens.js');
    await m.db.query(
      "INSERT INTO executions (id, _tenant_id, _creator_id, workflow_id, status, token) VALUES ('ex1', 0, 0, 'install', 'started', $1)",
      [sha256('raw-exec-token')],
    );
    const ok = await m.call({
      method: 'GET',
      url: '/api/v3.1/user',
      as: null,
      headers: { 'execution-token': 'raw-exec-token' },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().username, 'admin');
    const auth = await m.ctx.authenticator.authenticate({ 'execution-token': 'raw-exec-token' });
    assert.equal(auth.execution?.id, 'ex1');
    await m.db.query("UPDATE executions SET status = 'terminated' WHERE id = 'ex1'");
    const ended = await m.call({
      method: 'GET',
      url: '/api/v3.1/user',
      as: null,
      headers: { 'execution-token': 'raw-exec-token' },
    });
    assert.equal(ended.statusCode, 401);
    assert.match(ended.json().message, /Execution Token/);
  });

  test('users, tenants and roles: a viewer may read but not write, and tenants isolate', async () => {
    const mk = await m.call({
      method: 'PUT',
      url: '/api/v3.1/users',
      payload: { username: 'vera', password: 'pw-vera', role: 'default' },
    });
    assert.equal(mk.statusCode, 201);
    const dup = await m.call({
      method: 'PUT',
      url: '/api/v3.1/users',
      payload: { username: 'vera', password: 'x' },
    });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error_code, 'conflict_error');
    assert.equal((await m.call({ method: 'POST', url: '/api/v3.1/tenants/t2' })).statusCode, 201);
    const add = await m.call({
      method: 'PUT',
      url: '/api/v3.1/tenants/users',
      payload: { tenant_name: 't2', username: 'vera', role: 'viewer' },
    });
    assert.equal(add.statusCode, 200);
    assert.deepEqual(add.json().users.vera, { 'tenant-role': 'viewer', roles: ['viewer'] });
    const vera = basic('vera', 'pw-vera');
    const tenants = await m.call({ method: 'GET', url: '/api/v3.1/tenants', as: vera, tenant: 't2' });
    assert.deepEqual(
      tenants.json().items.map((t: { name: string }) => t.name),
      ['t2'],
    );
    const users = await m.call({ method: 'GET', url: '/api/v3.1/users', as: vera, tenant: 't2' });
    assert.equal(users.statusCode, 403);
    assert.equal(users.json().error_code, 'forbidden_error');
    const self = await m.call({ method: 'GET', url: '/api/v3.1/user', as: vera, tenant: 't2' });
    assert.equal(self.json().username, 'vera');
    const unknownTenant = await m.call({ method: 'GET', url: '/api/v3.1/status', tenant: 'nope' });
    assert.equal(unknownTenant.statusCode, 403);
    assert.match(unknownTenant.json().message, /invalid tenant name: nope/);
  });

  test('the account locks after 4 failed logins and admin can unlock it', async () => {
    await m.call({ method: 'PUT', url: '/api/v3.1/users', payload: { username: 'lou', password: 'right' } });
    for (let i = 0; i < 4; i++) {
      const r = await m.call({
        method: 'GET',
        url: '/api/v3.1/user',
        as: basic('lou', 'wrong'),
        tenant: null,
      });
      assert.equal(r.statusCode, 401);
    }
    const locked = await m.call({
      method: 'GET',
      url: '/api/v3.1/user',
      as: basic('lou', 'right'),
      tenant: null,
    });
    assert.equal(locked.statusCode, 401);
    assert.match(locked.json().message, /locked/);
    assert.equal((await m.call({ method: 'POST', url: '/api/v3.1/users/unlock/lou' })).statusCode, 200);
    const ok = await m.call({
      method: 'GET',
      url: '/api/v3.1/user',
      as: basic('lou', 'right'),
      tenant: null,
    });
    assert.equal(ok.statusCode, 200);
  });

  test('bad input: malformed JSON, unknown fields, unknown routes and content types', async () => {
    const bad = await m.call({
      method: 'POST',
      url: '/api/v3.1/tokens',
      headers: { 'content-type': 'application/json' },
      payload: '{"description":',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error_code, 'bad_parameters_error');
    const unknown = await m.call({ method: 'POST', url: '/api/v3.1/tokens', payload: { nope: 1 } });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error_code, 'bad_parameters_error');
    const route = await m.call({ method: 'GET', url: '/api/v3.1/no-such-thing' });
    assert.equal(route.statusCode, 404);
    assert.equal(route.json().error_code, 'not_found_error');
  });

  test('query booleans in Python form (force=False) are accepted', async () => {
    const r = await m.call({
      method: 'DELETE',
      url: '/api/v3.1/deployments/nope?force=False&delete_logs=True',
    });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error_code, 'not_found_error');
  });

  test('the OpenAPI document lists the routes with their schemas', async () => {
    const r = await m.call({ method: 'GET', url: '/api/v3.1/openapi.json', as: null, tenant: null });
    assert.equal(r.statusCode, 200);
    const doc = r.json();
    assert.ok(doc.paths['/api/v3.1/tokens'].post);
    assert.ok(doc.paths['/api/v3.1/status'].get.responses['200']);
  });
});
