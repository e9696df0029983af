import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

const L = '/api/v3.1/license';

const LICENSE = `license:
  capabilities:
  - HA
  - Awesomeness
  cloudify_version: '5.1'
  customer_id: CUST-123
  expiration_date: 12/31/2099
  license_edition: Spire
  trial: false
signature: !!binary |
  c2lnbmVkLWJ5LWNsb3VkaWZ5
`;

forEachDriver('license', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
  });
  after(async () => m?.close());

  test('upload the raw YAML as the Python client does (application/json, chunked), then list', async () => {
    const r = await m.call({
      method: 'PUT',
      url: L,
      headers: { 'content-type': 'application/json' },
      payload: Readable.from([Buffer.from(LICENSE.slice(0, 40)), Buffer.from(LICENSE.slice(40))]),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), {
      customer_id: 'CUST-123',
      expiration_date: '2099-12-31T00:00:00.000Z',
      license_edition: 'Spire',
      trial: false,
      cloudify_version: '5.1',
      capabilities: ['HA', 'Awesomeness'],
      expired: false,
    });
    const rows = await m.db.query<{ signature: string }>('SELECT signature FROM licenses');
    assert.equal(Buffer.from(rows[0].signature, 'base64').toString(), 'signed-by-cloudify');
    const l = await m.call({ method: 'GET', url: L });
    assert.equal(l.statusCode, 200);
    assert.equal(l.json().items.length, 1);
    assert.equal(l.json().items[0].customer_id, 'CUST-123');
    assert.deepEqual(l.json().metadata.pagination, { total: 1, size: 1, offset: 0 });
  });

  test('a new upload replaces the license; an expired one is reported as expired', async () => {
    const r = await m.call({
      method: 'PUT',
      url: L,
      headers: { 'content-type': 'application/x-yaml' },
      payload: LICENSE.replace('CUST-123', 'CUST-OLD')
        .replace('12/31/2099', '2001-01-31')
        .replace('false', 'true'),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().expired, true);
    assert.equal(r.json().trial, true);
    const l = await m.call({ method: 'GET', url: L });
    assert.deepEqual(
      l.json().items.map((i: { customer_id: string }) => i.customer_id),
      ['CUST-OLD'],
    );
  });

  test('bad files are 400 with a clear message and change nothing', async () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['license: [unclosed', /not YAML/],
      ['- a\n- b\n', /not a YAML mapping/],
      ['license:\n  trial: false\n', /customer_id` is missing/],
      ['license:\n  customer_id: C\n  expiration_date: someday\n', /not a date/],
      ['license:\n  customer_id: C\n  capabilities: HA\n', /must be a list/],
      ['license:\n  customer_id: C\n  trial: maybe\n', /true or false/],
    ];
    for (const [payload, msg] of cases) {
      const r = await m.call({
        method: 'PUT',
        url: L,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.equal(r.statusCode, 400, payload);
      assert.equal(r.json().error_code, 'bad_parameters_error');
      assert.match(r.json().message, /The license file is not valid/);
      assert.match(r.json().message, msg);
    }
    const l = await m.call({ method: 'GET', url: L });
    assert.equal(l.json().items[0].customer_id, 'CUST-OLD');
  });

  test('only sys_admin uploads or removes; anyone authenticated lists; DELETE is 204', async () => {
    await m.call({ method: 'PUT', url: '/api/v3.1/users', payload: { username: 'lena', password: 'pw-l' } });
    const lena = basic('lena', 'pw-l');
    const up = await m.call({ method: 'PUT', url: L, payload: LICENSE, as: lena, tenant: null });
    assert.equal(up.statusCode, 403);
    assert.equal(up.json().error_code, 'forbidden_error');
    const del403 = await m.call({ method: 'DELETE', url: L, as: lena, tenant: null });
    assert.equal(del403.statusCode, 403);
    const list = await m.call({ method: 'GET', url: L, as: lena, tenant: null });
    assert.equal(list.statusCode, 200);
    const anon = await m.call({ method: 'GET', url: L, as: null });
    assert.equal(anon.statusCode, 401);
    const del = await m.call({ method: 'DELETE', url: L });
    assert.equal(del.statusCode, 204);
    assert.deepEqual((await m.call({ method: 'GET', url: L })).json().items, []);
  });
});
