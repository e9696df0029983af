import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { createManager } from '../../src/entry/manager.js';
import { defaultConfig } from '../../src/manager/config.js';
import { insertBlueprint } from '../../src/store/repositories/blueprints.js';
import { forEachDriver } from '../helpers/drivers.js';
import { ADMIN_PASSWORD, adminAuth, startTestManager, type TestManager } from '../helpers/manager.js';

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

  test('a blueprint kept on disk before its files were stored: served, then stored when its manager starts', async () => {
    // What a manager's disk held for an upload before migration 0003, and a row without files_sha256.
    const res = m.ctx.resourcesDir;
    mkdirSync(join(res, 'blueprints', 'default_tenant', 'old1', 'scripts'), { recursive: true });
    writeFileSync(join(res, 'blueprints', 'default_tenant', 'old1', 'blueprint.yaml'), YAML);
    writeFileSync(join(res, 'blueprints', 'default_tenant', 'old1', 'scripts', 'a.sh'), 'echo old\n');
    mkdirSync(join(res, 'uploaded-blueprints', 'default_tenant', 'old1'), { recursive: true });
    const archive = Buffer.from('not really a tar.gz, but the bytes a download must give back');
    writeFileSync(join(res, 'uploaded-blueprints', 'default_tenant', 'old1', 'old1.tar.gz'), archive);
    const [admin] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
    const sid = await insertBlueprint(m.db, {
      id: 'old1',
      visibility: 'tenant',
      tenantId: 0,
      creatorId: admin.id,
      state: 'uploaded',
      mainFileName: 'blueprint.yaml',
      error: null,
      errorTraceback: null,
      requirements: undefined,
      labels: [],
    });
    await m.db.query('UPDATE blueprints SET archive_path = $2 WHERE _storage_id = $1', [
      sid,
      'uploaded-blueprints/default_tenant/old1/old1.tar.gz',
    ]);
    const script = '/resources/blueprints/default_tenant/old1/scripts/a.sh';
    assert.equal((await m.call({ method: 'GET', url: script })).body, 'echo old\n');

    // The same manager starting again (same data dir, same database) stores them.
    const again = await createManager(defaultConfig({ dataDir: m.dataDir, adminPassword: ADMIN_PASSWORD }), {
      db: m.db,
      dispatcher: null,
    });
    try {
      const [row] = await m.db.query<{ files_sha256: string | null }>(
        'SELECT files_sha256 FROM blueprints WHERE _storage_id = $1',
        [sid],
      );
      assert.match(row.files_sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(existsSync(join(res, 'blueprints', 'default_tenant', 'old1')), false);
      const call = (o: InjectOptions) =>
        again.app.inject({ ...o, headers: { authorization: adminAuth, tenant: 'default_tenant' } });
      assert.equal((await call({ method: 'GET', url: script })).body, 'echo old\n');
      const dl = await call({ method: 'GET', url: '/api/v3.1/blueprints/old1/archive' });
      assert.equal(dl.statusCode, 200, dl.body);
      assert.deepEqual(dl.rawPayload, archive);
    } finally {
      await again.close();
    }
  });
});
