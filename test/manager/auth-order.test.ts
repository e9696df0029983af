// Authentication comes before validation on every route (401, then 403, then 400), and failed logins
// cannot lock a user out from everywhere nor tell which users exist.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { embeddedOnly } from '../helpers/drivers.js';
import { ADMIN_PASSWORD, basic, startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';
/** The routes Cloudify leaves open (and the OpenAPI document itself). */
const OPEN = [`${A}/ok`, `${A}/snapshot-status`, '/resources/cloudify_agent/'];

type Operation = { method: string; url: string; hasBody: boolean };

/** Every operation of the OpenAPI document, its path parameters filled with a harmless id. */
function operations(doc: { paths: Record<string, Record<string, { requestBody?: unknown }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    const url = path.replace(/\{[^}]+\}/g, 'x1');
    if (OPEN.some((o) => url.startsWith(o))) continue;
    for (const [method, op] of Object.entries(methods))
      ops.push({ method: method.toUpperCase(), url, hasBody: op.requestBody !== undefined });
  }
  return ops;
}

embeddedOnly('authentication before validation', (fx) => {
  let m: TestManager;
  let ops: Operation[];
  before(async () => {
    m = await startTestManager(fx, { failedLoginsBeforeLock: 4, loginFailuresPerMinute: 10 });
    await m.call({ method: 'PUT', url: `${A}/users`, payload: { username: 'plain', password: 'plain-pw' } });
    ops = operations((await m.call({ method: 'GET', url: `${A}/openapi.json` })).json());
  });
  after(async () => m?.close());

  const badBody = { headers: { 'content-type': 'application/json' }, payload: '{"no_such_field": [1]}' };
  const badQuery = '?_size=minus-one&_offset=x&force=maybe';

  test('no credentials: 401 on every secured route, whatever the body and query', async () => {
    assert.ok(ops.length > 80, `the OpenAPI document lists ${ops.length} operations`);
    const wrong: string[] = [];
    for (const op of ops) {
      const r = await m.call({ method: op.method as 'GET', url: op.url + badQuery, as: null, ...badBody });
      if (r.statusCode !== 401) wrong.push(`${op.method} ${op.url}: ${r.statusCode} ${r.body.slice(0, 80)}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('a wrong password: 401 on every secured route with a body', async () => {
    const wrong: string[] = [];
    for (const op of ops.filter((o) => o.hasBody)) {
      const r = await m.call({
        method: op.method as 'POST',
        url: op.url,
        as: basic('nobody-here', 'pw'),
        remoteAddress: `10.1.${wrong.length}.${Math.floor(Math.random() * 250)}`,
        ...badBody,
      });
      if (r.statusCode !== 401) wrong.push(`${op.method} ${op.url}: ${r.statusCode}`);
    }
    assert.deepEqual(wrong, []);
  });

  test('authenticated without the permission: 403 before the body is validated', async () => {
    const as = basic('plain', 'plain-pw');
    for (const [method, url] of [
      ['PUT', `${A}/users`],
      ['POST', `${A}/tenants/x1`],
      ['POST', `${A}/maintenance/activate`],
    ] as const) {
      const r = await m.call({ method, url, as, ...badBody });
      assert.equal(r.statusCode, 403, `${method} ${url}: ${r.body}`);
    }
    const admin = await m.call({ method: 'PUT', url: `${A}/users`, ...badBody });
    assert.equal(admin.statusCode, 400, admin.body);
  });

  const login = (user: string, pw: string, remoteAddress: string) =>
    m.call({ method: 'GET', url: `${A}/user`, as: basic(user, pw), tenant: null, remoteAddress });

  test('wrong passwords from one address lock admin for that address only', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await login('admin', 'guess', '10.9.0.1')).statusCode, 401);
    const there = await login('admin', ADMIN_PASSWORD, '10.9.0.1');
    assert.equal(there.statusCode, 401);
    assert.match(there.json().message, /locked/);
    assert.equal((await login('admin', ADMIN_PASSWORD, '10.9.0.2')).statusCode, 200);
    assert.equal((await login('admin', ADMIN_PASSWORD, '127.0.0.1')).statusCode, 200);
    assert.equal((await m.call({ method: 'POST', url: `${A}/users/unlock/admin` })).statusCode, 200);
    assert.equal((await login('admin', ADMIN_PASSWORD, '10.9.0.1')).statusCode, 200);
  });

  test('concurrent wrong passwords cannot beat the lock', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => login('admin', 'guess', '10.9.1.1')));
    assert.ok(answers.every((r) => r.statusCode === 401));
    const checked = answers.filter((r) => /Authentication failed/.test(r.json().message));
    assert.ok(checked.length <= 4, `${checked.length} passwords were checked`);
    assert.match((await login('admin', ADMIN_PASSWORD, '10.9.1.1')).json().message, /locked/);
    assert.equal((await m.call({ method: 'POST', url: `${A}/users/unlock/admin` })).statusCode, 200);
  });

  test('a burst of right passwords from one address is not taken for guesses', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => login('admin', ADMIN_PASSWORD, '10.9.3.1')),
    );
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      answers.map(() => 200),
    );
  });

  test('a NUL character in a Basic username is 401', async () => {
    const r = await login('adm\u0000in', 'x', '10.9.2.1');
    assert.equal(r.statusCode, 401, r.body);
  });

  test('the answers do not tell whether a user exists', async () => {
    await m.call({ method: 'PUT', url: `${A}/users`, payload: { username: 'idle', password: 'idle-pw' } });
    await m.call({ method: 'POST', url: `${A}/users/active/idle`, payload: { action: 'deactivate' } });
    const texts = async (user: string, address: string) => {
      const out: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await login(user, 'wrong', address);
        assert.equal(r.statusCode, 401);
        out.push(r.json().message.replace(user, 'U'));
      }
      return out;
    };
    const real = await texts('plain', '10.8.0.1');
    assert.deepEqual(await texts('ghost', '10.8.0.2'), real);
    assert.deepEqual(await texts('idle', '10.8.0.3'), real);
    assert.match(real[4]!, /locked/);
  });

  test('one address that fails too often is refused a while, other addresses are not', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await login(`someone${i}`, 'x', '10.7.0.1')).statusCode, 401);
    const refused = await login('admin', ADMIN_PASSWORD, '10.7.0.1');
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().message, /too many failed logins from this address/);
    assert.equal((await login('admin', ADMIN_PASSWORD, '10.7.0.2')).statusCode, 200);
  });
});

embeddedOnly('failed logins behind a trusted proxy', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx, { failedLoginsBeforeLock: 4, trustedProxies: ['10.5.0.1'] });
  });
  after(async () => m?.close());

  const via = (pw: string, client: string, proxy = '10.5.0.1') =>
    m.call({
      method: 'GET',
      url: `${A}/user`,
      as: basic('admin', pw),
      tenant: null,
      remoteAddress: proxy,
      headers: { 'x-forwarded-for': client },
    });

  test("the lock holds for the client that X-Forwarded-For names, not for the proxy's other clients", async () => {
    for (let i = 0; i < 4; i++) assert.equal((await via('guess', '192.0.2.7')).statusCode, 401);
    assert.match((await via(ADMIN_PASSWORD, '192.0.2.7')).json().message, /locked/);
    assert.equal((await via(ADMIN_PASSWORD, '192.0.2.8')).statusCode, 200);
  });

  test('an untrusted peer cannot choose its address with X-Forwarded-For', async () => {
    for (let i = 0; i < 4; i++)
      assert.equal((await via('guess', `198.51.100.${i}`, '10.6.0.1')).statusCode, 401);
    assert.match((await via(ADMIN_PASSWORD, '198.51.100.99', '10.6.0.1')).json().message, /locked/);
  });
});
