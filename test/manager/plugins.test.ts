// /plugins over HTTP (rest-api.md §1.8) and blueprint imports of uploaded plugins and of
// cloudify/types/types.yaml, on both storage drivers.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { zipEntries } from '../../src/cli/zip.js';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';
import { archiveNameOf, buildWagon, pluginYaml, pluginZip, type WagonSpec } from '../helpers/wagon.js';

const API = '/api/v3.1';
const OS: WagonSpec = { name: 'cloudify-openstack-plugin', version: '3.2.16' };
const OS_OLD: WagonSpec = { name: 'cloudify-openstack-plugin', version: '2.14.7' };

const blueprint = (imports: string[], type = 'openstack.nodes.Server') => `
tosca_definitions_version: cloudify_dsl_1_3
imports:
${imports.map((i) => `  - ${i}`).join('\n')}
node_templates:
  vm:
    type: ${type}
`;

forEachDriver('plugins', (fx) => {
  let m: TestManager;
  const tom = basic('tom', 'pw-tom');

  before(async () => {
    m = await startTestManager(fx, {}, null);
    await m.call({ method: 'POST', url: `${API}/tenants/t2` });
    await m.call({ method: 'PUT', url: `${API}/users`, payload: { username: 'tom', password: 'pw-tom' } });
    await m.call({
      method: 'PUT',
      url: `${API}/tenants/users`,
      payload: { tenant_name: 't2', username: 'tom', role: 'user' },
    });
  });
  after(async () => m?.close());

  const upload = (body: Buffer | undefined, qs = 'visibility=tenant', extra: object = {}) =>
    m.call({
      method: 'POST',
      url: `${API}/plugins?${qs}`,
      payload: body,
      // The 5.1 client streams the zip with its usual JSON content type.
      headers: { 'content-type': 'application/json' },
      ...extra,
    });
  const putBlueprint = (id: string, yaml: string) =>
    m.call({
      method: 'PUT',
      url: `${API}/blueprints/${id}?application_file_name=blueprint.yaml`,
      payload: yaml,
      headers: { 'content-type': 'text/plain' },
    });

  let pluginId = '';

  test('upload a zip of wagon + plugin.yaml: 201 with 5.1 fields, files under resources/plugins/<id>', async () => {
    const r = await upload(
      await pluginZip(OS, pluginYaml(OS, 'openstack')),
      'visibility=tenant&title=OpenStack',
    );
    assert.equal(r.statusCode, 201, r.body);
    const p = r.json();
    pluginId = p.id;
    assert.match(p.id, /^[0-9a-f-]{36}$/);
    assert.equal(p.package_name, OS.name);
    assert.equal(p.package_version, OS.version);
    assert.equal(p.archive_name, archiveNameOf(OS));
    assert.equal(p.distribution, 'centos');
    assert.equal(p.distribution_release, 'Core');
    assert.equal(p.distribution_version, '7.9');
    assert.equal(p.supported_platform, 'linux_x86_64');
    assert.deepEqual(p.supported_py_versions, ['py3']);
    assert.equal(p.wheels.length, 1);
    assert.equal(p.title, 'OpenStack');
    assert.equal(p.visibility, 'tenant');
    assert.equal(p.tenant_name, 'default_tenant');
    assert.equal(p.created_by, 'admin');
    assert.deepEqual(p.installation_state, []);
    assert.match(p.uploaded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(p.yaml_url_path, `plugin:${OS.name}?version=${OS.version}&distribution=centos`);
    assert.equal(p.file_server_path, '');
    const dir = join(m.dataDir, 'resources', 'plugins', p.id);
    assert.ok(existsSync(join(dir, archiveNameOf(OS))));
    assert.match(readFileSync(join(dir, 'plugin.yaml'), 'utf8'), /package_name: cloudify-openstack-plugin/);
  });

  test('get, _get_data, _include, list filters, _search on the package name, sort', async () => {
    let r = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}` });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().file_server_path, '');
    r = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}?_get_data=true` });
    assert.equal(r.json().file_server_path, `/resources/plugins/${pluginId}/plugin.yaml`);
    r = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}?_include=id,package_name` });
    assert.deepEqual(r.json(), { id: pluginId, package_name: OS.name });

    const old = await upload(await pluginZip(OS_OLD, pluginYaml(OS_OLD, 'openstack')));
    assert.equal(old.statusCode, 201, old.body);
    r = await m.call({ method: 'GET', url: `${API}/plugins?_sort=-package_version` });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(
      r.json().items.map((i: { package_version: string }) => i.package_version),
      ['3.2.16', '2.14.7'],
    );
    assert.equal(r.json().metadata.pagination.total, 2);
    r = await m.call({ method: 'GET', url: `${API}/plugins?package_version=2.14.7` });
    assert.equal(r.json().items.length, 1);
    r = await m.call({ method: 'GET', url: `${API}/plugins?_search=openstack&_size=1` });
    assert.equal(r.json().items.length, 1);
    assert.equal(r.json().metadata.pagination.total, 2);
    r = await m.call({ method: 'GET', url: `${API}/plugins?_search=nothing-like-it` });
    assert.equal(r.json().items.length, 0);
    r = await m.call({ method: 'GET', url: `${API}/plugins/nope` });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error_code, 'not_found_error');
    assert.equal(r.json().message, 'Requested `Plugin` with ID `nope` was not found');
  });

  test('download: the wagon as uploaded, with Content-Length; other tenants see nothing', async () => {
    const r = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}/archive` });
    assert.equal(r.statusCode, 200);
    const zipped = await buildWagon(OS);
    assert.equal(r.headers['content-length'], String(r.rawPayload.length));
    assert.equal(r.headers['content-disposition'], `attachment; filename=${pluginId}.tar.gz`);
    assert.equal(r.rawPayload.subarray(0, 2).toString('hex'), '1f8b');
    assert.ok(Math.abs(r.rawPayload.length - zipped.length) < 64);
    // Another manager's copy comes from the database: remove this one's and download again.
    const file = join(m.dataDir, 'resources', 'plugins', pluginId, archiveNameOf(OS));
    const before = readFileSync(file);
    (await import('node:fs')).rmSync(file);
    const again = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}/archive` });
    assert.equal(again.statusCode, 200);
    assert.ok(again.rawPayload.equals(before));
    // The file server writes a missing copy (wagon, YAML, icon) from the database too.
    const w: WagonSpec = { name: 'icon-plugin', version: '1.0' };
    const withIcon = zipEntries([
      { name: archiveNameOf(w), data: await buildWagon(w) },
      { name: 'plugin.yaml', data: Buffer.from(pluginYaml(w, 'ic')) },
      { name: 'icon.png', data: Buffer.from('PNG-ish bytes') },
    ]);
    const up = await upload(withIcon);
    assert.equal(up.statusCode, 201, up.body);
    const iconId = up.json().id;
    (await import('node:fs')).rmSync(join(m.dataDir, 'resources', 'plugins', iconId), { recursive: true });
    const icon = await m.call({ method: 'GET', url: `/resources/plugins/${iconId}/icon.png` });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.body, 'PNG-ish bytes');
    const y = await m.call({ method: 'GET', url: `/resources/plugins/${iconId}/plugin.yaml` });
    assert.match(y.body, /package_name: icon-plugin/);
    const wg = await m.call({ method: 'GET', url: `/resources/plugins/${iconId}/${archiveNameOf(w)}` });
    assert.equal(wg.statusCode, 200);
    assert.equal(wg.rawPayload.subarray(0, 2).toString('hex'), '1f8b');
    const other = await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}`, as: tom, tenant: 't2' });
    assert.equal(other.statusCode, 404);
    const list = await m.call({ method: 'GET', url: `${API}/plugins`, as: tom, tenant: 't2' });
    assert.equal(list.json().items.length, 0);
  });

  test('the same archive again is 409; bad uploads are one-line 400 invalid_plugin_error', async () => {
    let r = await upload(await pluginZip(OS, pluginYaml(OS, 'openstack')));
    assert.equal(r.statusCode, 409);
    assert.equal(
      r.json().message,
      `a plugin archive by the name of ${archiveNameOf(OS)} already exists for package with name ${OS.name} and version ${OS.version}`,
    );
    const renamed = { ...OS, archiveName: 'renamed.wgn' };
    r = await upload(await pluginZip(renamed, pluginYaml(OS, 'openstack')));
    assert.equal(r.statusCode, 409);
    assert.equal(
      r.json().message,
      'Plugin cloudify-openstack-plugin 3.2.16 (distribution centos Core) is already uploaded in this tenant: delete it first to upload it again',
    );
    const bad = async (body: Buffer | undefined, re: RegExp) => {
      const res = await upload(body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error_code, 'invalid_plugin_error', res.body);
      assert.match(res.json().message, re);
      assert.doesNotMatch(res.json().message, /\n|stratus-mgr-|upload-tmp/);
    };
    await bad(Buffer.from('just some text'), /^input can be only a wagon or a zip file\.$/);
    const w = { name: 'x-plugin', version: '1.0' };
    await bad(zipEntries([{ name: 'x.wgn', data: await buildWagon(w) }]), /one wgn file and one yaml file/);
    await bad(
      zipEntries([
        { name: 'x.wgn', data: await buildWagon(w) },
        { name: 'plugin.yaml', data: Buffer.from('plugins: [unclosed') },
      ]),
      /^The plugin YAML plugin\.yaml is not valid YAML: /,
    );
    await bad(
      zipEntries([
        { name: 'x.wgn', data: await buildWagon(w) },
        { name: 'plugin.yaml', data: Buffer.from('- a list') },
      ]),
      /is not a YAML mapping/,
    );
    await bad(await pluginZip({ ...w, noPackageJson: true }, 'plugins: {}'), /has no package\.json/);
    await bad(undefined, /^No plugin archive in the request/);
    r = await upload(Buffer.from('x'), 'visibility=everyone');
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'bad_parameters_error');
  });

  test('a wagon alone (zip format) is accepted, without a YAML', async () => {
    const w: WagonSpec = { name: 'lonely-plugin', version: '0.1', format: 'zip' };
    const r = await upload(await buildWagon(w), 'visibility=private', {
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().yaml_url_path, '');
    assert.equal(r.json().visibility, 'private');
  });

  test('plugin_archive_url: fetched by the manager; with a body too it is refused; global needs the right', async () => {
    const w: WagonSpec = { name: 'cloudify-url-plugin', version: '0.3.1' };
    const zip = await pluginZip(w, pluginYaml(w, 'urlp'));
    const srv = createServer((req, res) => {
      if (req.url === '/p.zip') res.end(zip);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      let r = await upload(undefined, `plugin_archive_url=${encodeURIComponent(`${base}/p.zip`)}`);
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().package_name, 'cloudify-url-plugin');
      r = await upload(zip, `plugin_archive_url=${encodeURIComponent(`${base}/p.zip`)}`);
      assert.equal(r.statusCode, 400);
      assert.match(r.json().message, /^Can't pass both a plugin URL via query parameters/);
      r = await upload(undefined, `plugin_archive_url=${encodeURIComponent(`${base}/missing.zip`)}`);
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().message, `Cannot fetch ${base}/missing.zip: HTTP 404`);
    } finally {
      srv.close();
    }
    const g = await m.call({
      method: 'POST',
      url: `${API}/plugins?visibility=global`,
      payload: await pluginZip({ name: 'g-plugin', version: '1' }, 'plugins: {}'),
      headers: { 'content-type': 'application/octet-stream' },
      as: tom,
      tenant: 't2',
    });
    assert.equal(g.statusCode, 403);
    assert.equal(g.json().error_code, 'forbidden_error');
  });

  test('blueprint imports: plugin:<name>?version=, highest match, cloudify/types/types.yaml', async () => {
    let r = await putBlueprint('bp-latest', blueprint(['cloudify/types/types.yaml', `plugin:${OS.name}`]));
    assert.equal(r.statusCode, 201, r.body);
    const plan = r.json().plan;
    assert.equal(plan.deployment_plugins_to_install[0].package_version, '3.2.16');
    r = await putBlueprint(
      'bp-old',
      blueprint(['cloudify/types/types.yaml', `plugin:${OS.name}?version=2.14.7&distribution=centos`]),
    );
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().plan.deployment_plugins_to_install[0].package_version, '2.14.7');
    r = await putBlueprint(
      'bp-range',
      blueprint(['cloudify/types/types.yaml', `plugin:${OS.name}?version=<3`]),
    );
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().plan.deployment_plugins_to_install[0].package_version, '2.14.7');
  });

  test('blueprint imports that no plugin answers: 5.1 messages; a missing import leaks no server path', async () => {
    let r = await putBlueprint(
      'bp-missing',
      blueprint(['cloudify/types/types.yaml', 'plugin:cloudify-nope-plugin']),
    );
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'invalid_plugin_error');
    assert.match(
      r.json().message,
      /Plugin cloudify-nope-plugin \(query: \{'package_name': 'cloudify-nope-plugin'\}\) not found/,
    );
    r = await putBlueprint(
      'bp-nover',
      blueprint(['cloudify/types/types.yaml', `plugin:${OS.name}?version=9.9`]),
    );
    assert.equal(r.statusCode, 400);
    assert.match(
      r.json().message,
      /No matching version was found for plugin cloudify-openstack-plugin and version\(s\) \['9\.9'\]\./,
    );
    // Tom's tenant has no plugins.
    r = await m.call({
      method: 'PUT',
      url: `${API}/blueprints/bp-t2`,
      payload: blueprint(['cloudify/types/types.yaml', `plugin:${OS.name}`]),
      headers: { 'content-type': 'text/plain' },
      as: tom,
      tenant: 't2',
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'invalid_plugin_error');
    r = await putBlueprint('bp-noimp', blueprint(['cloudify/types/nope.yaml'], 'cloudify.nodes.Root'));
    assert.equal(r.statusCode, 400);
    const text = JSON.stringify(r.json());
    assert.match(r.json().message, /Unable to open import url cloudify\/types\/nope\.yaml/);
    assert.ok(!text.includes(m.dataDir), text);
    assert.doesNotMatch(text, /upload-tmp|\/tmp\//);
  });

  test('set-visibility: never narrower; global makes it visible to other tenants, changed only from its own', async () => {
    const list = await m.call({ method: 'GET', url: `${API}/plugins?package_name=cloudify-url-plugin` });
    const id = list.json().items[0].id;
    const setVis = (visibility: string, as?: string, tenant?: string) =>
      m.call({
        method: 'PATCH',
        url: `${API}/plugins/${id}/set-visibility`,
        payload: { visibility },
        ...(as ? { as, tenant } : {}),
      });
    let r = await setVis('private');
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'illegal_action_error');
    assert.equal(
      r.json().message,
      `Can't set the visibility of \`${id}\` to private because it already has wider visibility`,
    );
    r = await setVis('global');
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().visibility, 'global');
    r = await m.call({ method: 'GET', url: `${API}/plugins/${id}`, as: tom, tenant: 't2' });
    assert.equal(r.statusCode, 200);
    r = await m.call({ method: 'DELETE', url: `${API}/plugins/${id}`, as: tom, tenant: 't2' });
    assert.equal(r.statusCode, 400);
    assert.equal(
      r.json().message,
      `Can't modify the global resource \`${id}\` from outside its tenant \`default_tenant\``,
    );
  });

  test('delete: refused while a blueprint with deployments installs it, then forced; files go', async () => {
    const dep = await m.call({
      method: 'PUT',
      url: `${API}/deployments/d-latest`,
      payload: { blueprint_id: 'bp-latest' },
    });
    assert.equal(dep.statusCode, 201, dep.body);
    let r = await m.call({ method: 'DELETE', url: `${API}/plugins/${pluginId}`, payload: { force: false } });
    assert.equal(r.statusCode, 405);
    assert.equal(r.json().error_code, 'plugin_in_use');
    assert.match(r.json().message, /currently in use in blueprints: bp-latest\./);
    r = await m.call({ method: 'DELETE', url: `${API}/plugins/${pluginId}`, as: tom, tenant: 't2' });
    assert.equal(r.statusCode, 404);
    r = await m.call({ method: 'DELETE', url: `${API}/plugins/${pluginId}`, payload: { force: true } });
    assert.equal(r.statusCode, 204, r.body);
    assert.equal((await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}` })).statusCode, 404);
    assert.equal(
      (await m.call({ method: 'GET', url: `${API}/plugins/${pluginId}/archive` })).statusCode,
      404,
    );
    assert.ok(!existsSync(join(m.dataDir, 'resources', 'plugins', pluginId)));
    const [{ n }] = await m.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plugin_chunks');
    assert.ok(n >= 1); // the other plugins' chunks remain; the deleted one's went with its row
    const gone = await m.db.query(
      'SELECT 1 FROM plugin_chunks c WHERE NOT EXISTS (SELECT 1 FROM plugins p WHERE p._storage_id = c._plugin_fk)',
    );
    assert.equal(gone.length, 0);
  });
});
