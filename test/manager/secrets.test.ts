import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';

const S = '/api/v3.1/secrets';

forEachDriver('secrets', (fx) => {
  let m: TestManager;
  const ulla = basic('ulla', 'pw-ulla');
  const mona = basic('mona', 'pw-mona');
  const vic = basic('vic', 'pw-vic');
  const tom = basic('tom', 'pw-tom');

  before(async () => {
    m = await startTestManager(fx);
    await m.call({ method: 'POST', url: '/api/v3.1/tenants/t2' });
    for (const [username, tenant, role] of [
      ['ulla', 'default_tenant', 'user'],
      ['mona', 'default_tenant', 'manager'],
      ['vic', 'default_tenant', 'viewer'],
      ['tom', 't2', 'user'],
    ]) {
      const r = await m.call({
        method: 'PUT',
        url: '/api/v3.1/users',
        payload: { username, password: `pw-${username}` },
      });
      assert.equal(r.statusCode, 201);
      const add = await m.call({
        method: 'PUT',
        url: '/api/v3.1/tenants/users',
        payload: { tenant_name: tenant, username, role },
      });
      assert.equal(add.statusCode, 200);
    }
  });
  after(async () => m?.close());

  test('create, get the decrypted value, list without values; the column holds only ciphertext', async () => {
    const r = await m.call({ method: 'PUT', url: `${S}/db_password`, payload: { value: 'p4ss-plain-Xyz' } });
    assert.equal(r.statusCode, 200);
    const s = r.json();
    assert.equal(s.key, 'db_password');
    assert.equal(s.value, 'p4ss-plain-Xyz');
    assert.equal(s.visibility, 'tenant');
    assert.equal(s.tenant_name, 'default_tenant');
    assert.equal(s.created_by, 'admin');
    assert.equal(s.is_hidden_value, false);
    assert.match(s.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const g = await m.call({ method: 'GET', url: `${S}/db_password` });
    assert.equal(g.statusCode, 200);
    assert.equal(g.json().value, 'p4ss-plain-Xyz');
    // 5.1's keys exactly: `cfy secrets get` prints every key but private_resource and resource_availability
    assert.deepEqual(Object.keys(g.json()).sort(), [
      'created_at',
      'created_by',
      'is_hidden_value',
      'key',
      'private_resource',
      'resource_availability',
      'tenant_name',
      'updated_at',
      'value',
      'visibility',
    ]);

    const l = await m.call({ method: 'GET', url: S });
    assert.equal(l.statusCode, 200);
    const item = l.json().items.find((i: { key: string }) => i.key === 'db_password');
    assert.ok(item);
    assert.equal('value' in item, false);
    assert.equal(l.json().metadata.pagination.offset, 0);

    const rows = await m.db.query<{ value: string }>("SELECT value FROM secrets WHERE id = 'db_password'");
    assert.equal(rows.length, 1);
    assert.ok(!rows[0].value.includes('p4ss-plain-Xyz'));
    assert.match(rows[0].value, /^v1:/);
    const all = await m.db.query<{ t: string }>("SELECT string_agg(value, '|') AS t FROM secrets");
    assert.ok(!all[0].t.includes('p4ss'));
  });

  test('an existing key is 409 unless update_if_exists; update_if_exists replaces the value', async () => {
    await m.call({ method: 'PUT', url: `${S}/dup`, payload: { value: 'one' } });
    const dup = await m.call({ method: 'PUT', url: `${S}/dup`, payload: { value: 'two' } });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error_code, 'conflict_error');
    assert.equal(dup.json().server_traceback, null);
    const up = await m.call({
      method: 'PUT',
      url: `${S}/dup`,
      payload: { value: 'two', update_if_exists: true },
    });
    assert.equal(up.statusCode, 200);
    assert.equal(up.json().value, 'two');
    assert.equal((await m.call({ method: 'GET', url: `${S}/dup` })).json().value, 'two');
  });

  test('PUT errors: missing or empty value, bad key, unknown field, bad visibility, viewer', async () => {
    const cases: [unknown, string][] = [
      [{}, 'bad_parameters_error'],
      [{ value: '' }, 'bad_parameters_error'],
      [{ value: 5 }, 'bad_parameters_error'],
      [{ value: 'x', bogus: 1 }, 'bad_parameters_error'],
      [{ value: 'x', visibility: 'world' }, 'bad_parameters_error'],
    ];
    for (const [payload, code] of cases) {
      const r = await m.call({ method: 'PUT', url: `${S}/k1`, payload: payload as object });
      assert.equal(r.statusCode, 400, JSON.stringify(payload));
      assert.equal(r.json().error_code, code);
    }
    const badKey = await m.call({ method: 'PUT', url: `${S}/bad%20key`, payload: { value: 'x' } });
    assert.equal(badKey.statusCode, 400);
    assert.match(badKey.json().message, /illegal characters/);
    const viewer = await m.call({ method: 'PUT', url: `${S}/k1`, payload: { value: 'x' }, as: vic });
    assert.equal(viewer.statusCode, 403);
    assert.equal(viewer.json().error_code, 'forbidden_error');
    const notJson = await m.call({
      method: 'PUT',
      url: `${S}/k1`,
      payload: '{"value":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(notJson.statusCode, 400);
    const none = await m.call({ method: 'GET', url: `${S}/k1` });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().message, 'Requested `Secret` with ID `k1` was not found');
  });

  test('PATCH changes value and hidden flag; empty PATCH and narrowing visibility are refused', async () => {
    await m.call({ method: 'PUT', url: `${S}/pk`, payload: { value: 'v1' } });
    const p = await m.call({ method: 'PATCH', url: `${S}/pk`, payload: { value: 'v2' } });
    assert.equal(p.statusCode, 200);
    assert.equal(p.json().value, 'v2');
    const rows = await m.db.query<{ value: string }>("SELECT value FROM secrets WHERE id = 'pk'");
    assert.match(rows[0].value, /^v1:/);
    const empty = await m.call({ method: 'PATCH', url: `${S}/pk`, payload: {} });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json().error_code, 'illegal_action_error');
    const narrow = await m.call({ method: 'PATCH', url: `${S}/pk`, payload: { visibility: 'private' } });
    assert.equal(narrow.statusCode, 400);
    assert.equal(narrow.json().error_code, 'illegal_action_error');
    const hide = await m.call({ method: 'PATCH', url: `${S}/pk`, payload: { is_hidden_value: true } });
    assert.equal(hide.json().is_hidden_value, true);
    const missing = await m.call({ method: 'PATCH', url: `${S}/nope`, payload: { value: 'x' } });
    assert.equal(missing.statusCode, 404);
    const unknown = await m.call({ method: 'PATCH', url: `${S}/pk`, payload: { colour: 'x' } });
    assert.equal(unknown.statusCode, 400);
  });

  test('hidden values: empty for other users, shown to the creator, sys_admin and a tenant manager', async () => {
    const r = await m.call({
      method: 'PUT',
      url: `${S}/hid`,
      payload: { value: 'very-secret', is_hidden_value: true },
      as: ulla,
    });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().value, 'very-secret');
    assert.equal((await m.call({ method: 'GET', url: `${S}/hid`, as: ulla })).json().value, 'very-secret');
    assert.equal((await m.call({ method: 'GET', url: `${S}/hid` })).json().value, 'very-secret');
    assert.equal((await m.call({ method: 'GET', url: `${S}/hid`, as: mona })).json().value, 'very-secret');
    const v = await m.call({ method: 'GET', url: `${S}/hid`, as: vic });
    assert.equal(v.statusCode, 200);
    assert.equal(v.json().value, '');
    assert.equal(v.json().is_hidden_value, true);
    // Another plain user may not modify it.
    await m.call({
      method: 'PUT',
      url: '/api/v3.1/users',
      payload: { username: 'uwe', password: 'pw-uwe' },
    });
    await m.call({
      method: 'PUT',
      url: '/api/v3.1/tenants/users',
      payload: { tenant_name: 'default_tenant', username: 'uwe', role: 'user' },
    });
    const uwe = basic('uwe', 'pw-uwe');
    assert.equal((await m.call({ method: 'GET', url: `${S}/hid`, as: uwe })).json().value, '');
    const mod = await m.call({ method: 'PATCH', url: `${S}/hid`, payload: { value: 'x' }, as: uwe });
    assert.equal(mod.statusCode, 403);
    assert.equal(mod.json().error_code, 'forbidden_error');
    const del = await m.call({ method: 'DELETE', url: `${S}/hid`, as: uwe });
    assert.equal(del.statusCode, 403);
    // The flag itself may only be set by the creator or an administrator.
    await m.call({ method: 'PUT', url: `${S}/plain-u`, payload: { value: 'x' }, as: ulla });
    const flag = await m.call({
      method: 'PATCH',
      url: `${S}/plain-u`,
      payload: { is_hidden_value: true },
      as: uwe,
    });
    assert.equal(flag.statusCode, 403);
  });

  test('visibility: tenant isolation, private to the creator, global seen everywhere', async () => {
    await m.call({ method: 'PUT', url: `${S}/only-default`, payload: { value: 'a' } });
    const iso = await m.call({ method: 'GET', url: `${S}/only-default`, as: tom, tenant: 't2' });
    assert.equal(iso.statusCode, 404);
    const list2 = await m.call({ method: 'GET', url: S, as: tom, tenant: 't2' });
    assert.equal(list2.statusCode, 200);
    assert.ok(!list2.json().items.some((i: { key: string }) => i.key === 'only-default'));
    // The same key may exist in another tenant.
    const t2 = await m.call({
      method: 'PUT',
      url: `${S}/only-default`,
      payload: { value: 'b' },
      as: tom,
      tenant: 't2',
    });
    assert.equal(t2.statusCode, 200);
    assert.equal(
      (await m.call({ method: 'GET', url: `${S}/only-default`, as: tom, tenant: 't2' })).json().value,
      'b',
    );
    assert.equal((await m.call({ method: 'GET', url: `${S}/only-default` })).json().value, 'a');

    const priv = await m.call({
      method: 'PUT',
      url: `${S}/mine`,
      payload: { value: 'p', visibility: 'private' },
      as: ulla,
    });
    assert.equal(priv.json().visibility, 'private');
    assert.equal((await m.call({ method: 'GET', url: `${S}/mine`, as: vic })).statusCode, 404);
    assert.equal((await m.call({ method: 'GET', url: `${S}/mine` })).statusCode, 200);

    // A plain user may not make a secret global; sys_admin may.
    await m.call({ method: 'PUT', url: `${S}/shared`, payload: { value: 'g' }, as: ulla });
    const noGlobal = await m.call({
      method: 'PATCH',
      url: `${S}/shared/set-visibility`,
      payload: { visibility: 'global' },
      as: ulla,
    });
    assert.equal(noGlobal.statusCode, 403);
    const g = await m.call({
      method: 'PATCH',
      url: `${S}/shared/set-visibility`,
      payload: { visibility: 'global' },
    });
    assert.equal(g.statusCode, 200);
    assert.equal(g.json().visibility, 'global');
    const seen = await m.call({ method: 'GET', url: `${S}/shared`, as: tom, tenant: 't2' });
    assert.equal(seen.statusCode, 200);
    assert.equal(seen.json().value, 'g');
    // A global key blocks the same key in any tenant.
    const clash = await m.call({
      method: 'PUT',
      url: `${S}/shared`,
      payload: { value: 'x' },
      as: tom,
      tenant: 't2',
    });
    assert.equal(clash.statusCode, 409);
    // Global is final.
    const back = await m.call({
      method: 'PATCH',
      url: `${S}/shared/set-visibility`,
      payload: { visibility: 'tenant' },
    });
    assert.equal(back.statusCode, 400);
    assert.equal(back.json().error_code, 'illegal_action_error');
    // A key that exists in two tenants cannot become global.
    const twoTenants = await m.call({
      method: 'PATCH',
      url: `${S}/only-default/set-visibility`,
      payload: { visibility: 'global' },
    });
    assert.equal(twoTenants.statusCode, 409);
    const badVis = await m.call({
      method: 'PATCH',
      url: `${S}/only-default/set-visibility`,
      payload: { visibility: 'everyone' },
    });
    assert.equal(badVis.statusCode, 400);
    const noSecret = await m.call({
      method: 'PATCH',
      url: `${S}/ghost/set-visibility`,
      payload: { visibility: 'tenant' },
    });
    assert.equal(noSecret.statusCode, 404);
  });

  test('list paging, sorting, filters and their errors', async () => {
    for (const k of ['l-a', 'l-b', 'l-c'])
      await m.call({ method: 'PUT', url: `${S}/${k}`, payload: { value: k } });
    const page = await m.call({ method: 'GET', url: `${S}?_search=l-&_size=2&_sort=-key` });
    assert.equal(page.statusCode, 200);
    assert.deepEqual(
      page.json().items.map((i: { key: string }) => i.key),
      ['l-c', 'l-b'],
    );
    assert.equal(page.json().metadata.pagination.total, 3);
    const f = await m.call({ method: 'GET', url: `${S}?key=l-b&_include=key,created_by` });
    assert.deepEqual(f.json().items, [{ key: 'l-b', created_by: 'admin' }]);
    const badFilter = await m.call({ method: 'GET', url: `${S}?value=x` });
    assert.equal(badFilter.statusCode, 400);
    const badSort = await m.call({ method: 'GET', url: `${S}?_sort=value` });
    assert.equal(badSort.statusCode, 400);
    const badInclude = await m.call({ method: 'GET', url: `${S}?_include=value` });
    assert.equal(badInclude.json().error_code, 'no_such_include_field_error');
    const unauth = await m.call({ method: 'GET', url: S, as: null });
    assert.equal(unauth.statusCode, 401);
    const noTenant = await m.call({ method: 'GET', url: S, tenant: null });
    assert.equal(noTenant.statusCode, 403);
  });

  test('schema: a matching value is stored as JSON, a mismatch is 409', async () => {
    const ok = await m.call({
      method: 'PUT',
      url: `${S}/port`,
      payload: { value: 8080, schema: { type: 'integer', minimum: 1 } },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().value, 8080);
    assert.deepEqual(ok.json().schema, { type: 'integer', minimum: 1 });
    const bad = await m.call({
      method: 'PUT',
      url: `${S}/port2`,
      payload: { value: 'eighty', schema: { type: 'integer' } },
    });
    assert.equal(bad.statusCode, 409);
    assert.equal(bad.json().error_code, 'conflict_error');
    const badPatch = await m.call({ method: 'PATCH', url: `${S}/port`, payload: { value: -3 } });
    assert.equal(badPatch.statusCode, 409);
    assert.equal((await m.call({ method: 'GET', url: `${S}/port` })).json().value, 8080);
  });

  test('DELETE is 204 and the secret is gone; a second delete is 404', async () => {
    await m.call({ method: 'PUT', url: `${S}/gone`, payload: { value: 'x' } });
    const d = await m.call({ method: 'DELETE', url: `${S}/gone` });
    assert.equal(d.statusCode, 204);
    assert.equal(d.body, '');
    assert.equal((await m.call({ method: 'GET', url: `${S}/gone` })).statusCode, 404);
    const again = await m.call({ method: 'DELETE', url: `${S}/gone` });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error_code, 'not_found_error');
    const viewer = await m.call({ method: 'DELETE', url: `${S}/pk`, as: vic });
    assert.equal(viewer.statusCode, 403);
  });
});
