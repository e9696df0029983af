import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const YAML = 'tosca_definitions_version: cloudify_dsl_1_3\nimports: []\nnode_templates: {}\n';

forEachDriver('file server', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
    const up = await m.call({
      method: 'PUT',
      url: '/api/v3.1/blueprints/fbp?application_file_name=blueprint.yaml',
      headers: { 'content-type': 'application/octet-stream' },
      payload: Buffer.from(YAML),
    });
    assert.equal(up.statusCode, 201, up.body);
    assert.equal((await m.call({ method: 'POST', url: '/api/v3.1/tenants/other' })).statusCode, 201);
  });
  after(async () => m?.close());

  test('serves a stored blueprint file and lists its directory', async () => {
    const dir = await m.call({ method: 'GET', url: '/resources/blueprints/default_tenant/fbp/' });
    assert.equal(dir.statusCode, 200, dir.body);
    const names: string[] = dir.json();
    const file = names.find((n) => n.endsWith('.yaml'));
    assert.ok(file, `no yaml in ${names.join(',')}`);
    const r = await m.call({ method: 'GET', url: `/resources/blueprints/default_tenant/fbp/${file}` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, YAML);
  });

  test('refuses other tenants, traversal, the scratch area and anonymous callers', async () => {
    // sys_admin may read any tenant's files; this one does not exist.
    const other = await m.call({ method: 'GET', url: '/resources/blueprints/other/x' });
    assert.equal(other.statusCode, 404);
    const trav = await m.call({
      method: 'GET',
      url: '/resources/blueprints/default_tenant/../../etc/passwd',
    });
    assert.equal(trav.statusCode, 404);
    const tmp = await m.call({ method: 'GET', url: '/resources/.upload-tmp/' });
    assert.equal(tmp.statusCode, 404);
    const anon = await m.call({ method: 'GET', url: '/resources/blueprints/default_tenant/fbp/', as: null });
    assert.equal(anon.statusCode, 401);
  });

  test('a tenant user cannot read another tenant files', async () => {
    await m.call({
      method: 'PUT',
      url: '/api/v3.1/users',
      payload: { username: 'otto', password: 'pw-otto' },
    });
    await m.call({
      method: 'PUT',
      url: '/api/v3.1/tenants/users',
      payload: { tenant_name: 'other', username: 'otto', role: 'user' },
    });
    const otto = `Basic ${Buffer.from('otto:pw-otto').toString('base64')}`;
    const r = await m.call({
      method: 'GET',
      url: '/resources/blueprints/default_tenant/fbp/',
      as: otto,
      tenant: 'other',
    });
    assert.equal(r.statusCode, 403);
    assert.equal(r.json().error_code, 'forbidden_error');
  });
});
