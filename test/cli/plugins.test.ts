// `cfy plugins upload|list|get|download|delete` as a child process against a manager process, and a
// blueprint importing the uploaded plugin and cloudify/types/types.yaml.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { archiveNameOf, buildWagon, pluginYaml, type WagonSpec } from '../helpers/wagon.js';
import { type Cfy, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

const W: WagonSpec = { name: 'cloudify-utilities-plugin', version: '1.24.4' };

describe('cfy plugins against a real manager', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  let wagon = '';
  let yaml = '';
  let id = '';
  before(async () => {
    m = await startManager();
    const r = await cfy(useArgs(m.port));
    assert.equal(r.code, 0, r.stderr);
    wagon = join(cfy.workdir, archiveNameOf(W));
    writeFileSync(wagon, await buildWagon(W));
    yaml = join(cfy.workdir, 'plugin.yaml');
    writeFileSync(yaml, pluginYaml(W, 'utils', 'cloudify.nodes.utils.Thing'));
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('upload: 5.1 messages; a missing YAML path is one line', async () => {
    const r = await cfy(['plugins', 'upload', wagon, '-y', yaml, '--title', 'Utilities']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Creating plugin zip archive\.\./);
    assert.match(r.stdout, /Uploading plugin archive \(wagon \+ yaml\)\.\./);
    const m1 = /Plugin uploaded\. Plugin's id is ([0-9a-f-]{36})/.exec(r.stdout);
    assert.ok(m1, r.stdout);
    id = m1[1]!;
    const missing = await cfy(['plugins', 'upload', wagon, '-y', join(cfy.workdir, 'nope.yaml')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr.trim().split('\n')[0]!, /The plugin YAML .*nope\.yaml does not exist/);
    assert.doesNotMatch(missing.stderr, /^\s+at /m);
    const noYaml = await cfy(['plugins', 'upload', wagon]);
    assert.notEqual(noYaml.code, 0);
    assert.match(noYaml.stderr, /-y, --yaml-path/);
    const again = await cfy(['plugins', 'upload', wagon, '-y', yaml]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr.trim().split('\n')[0]!, /a plugin archive by the name of .* already exists/);
  });

  test('list and get: the 5.1 columns, --json, --get-data', async () => {
    const l = await cfy(['plugins', 'list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /Listing all plugins\.\.\./);
    assert.match(
      l.stdout,
      /\| +id +\| +package_name +\| +package_version +\| +installed on +\| +distribution +\| +distribution_release +\| +uploaded_at +\| +visibility +\| +tenant_name +\| +created_by +\| +yaml_url_path +\|/,
    );
    assert.match(l.stdout, /plugin:cloudify-utilities-plugin\?version=1\.24\.4&distribution=centos/);
    assert.match(l.stdout, /Showing 1 of 1 plugins/);
    const lj = json(await cfy(['plugins', 'list', '--json', '--get-data']));
    assert.equal(lj.length, 1);
    assert.equal(lj[0].id, id);
    assert.equal(lj[0].file_server_path, `/resources/plugins/${id}/plugin.yaml`);
    assert.deepEqual(lj[0].installation_state, []);
    const g = await cfy(['plugins', 'get', id]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /Retrieving plugin [0-9a-f-]+\.\.\./);
    assert.match(g.stdout, /Plugin:\n\tid: +[0-9a-f-]{36}\n\tpackage_name: +cloudify-utilities-plugin/);
    assert.match(g.stdout, /Plugin installation state:/);
    const gj = json(await cfy(['plugins', 'get', id, '--json']));
    assert.equal(gj.package_version, '1.24.4');
  });

  test('a blueprint imports the plugin and cloudify/types/types.yaml', async () => {
    const dir = join(cfy.workdir, 'utils_bp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'blueprint.yaml'),
      `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - cloudify/types/types.yaml
  - plugin:cloudify-utilities-plugin?version=1.24.4
node_templates:
  thing: {type: cloudify.nodes.utils.Thing}
`,
    );
    const up = await cfy(['blueprints', 'upload', dir, '-b', 'utils']);
    assert.equal(up.code, 0, up.stderr);
    const bad = join(cfy.workdir, 'bad_bp');
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      join(bad, 'blueprint.yaml'),
      'tosca_definitions_version: cloudify_dsl_1_3\nimports:\n  - cloudify/types/types.yaml\n  - plugin:cloudify-utilities-plugin?version=2\n',
    );
    const r = await cfy(['blueprints', 'upload', bad, '-b', 'bad']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /No matching version was found for plugin cloudify-utilities-plugin and version\(s\) \['2'\]\./,
    );
  });

  test('download writes the wagon; delete asks for -f while a deployment uses it', async () => {
    const d = await cfy(['plugins', 'download', id]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, new RegExp(`Plugin downloaded as .*${id}\\.tar\\.gz`));
    assert.ok(readFileSync(join(cfy.workdir, `${id}.tar.gz`)).equals(readFileSync(wagon)));
    const out = join(cfy.workdir, 'copy.wgn');
    assert.equal((await cfy(['plugins', 'download', id, '-o', out])).code, 0);
    assert.ok(readFileSync(out).equals(readFileSync(wagon)));

    const dep = await cfy(['deployments', 'create', 'utils-dep', '-b', 'utils']);
    assert.equal(dep.code, 0, dep.stderr);
    // Running an operation of the Python plugin fails with one error naming it.
    const inst = await cfy(['executions', 'start', 'install', '-d', 'utils-dep']);
    assert.notEqual(inst.code, 0);
    assert.match(
      `${inst.stdout}${inst.stderr}`,
      /Operation utils_plugin\.server\.create of plugin utils cannot run: utils is a Python plugin/,
    );
    const refused = await cfy(['plugins', 'delete', id]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is currently in use in blueprints: utils\. You can "force" plugin removal/);
    const del = await cfy(['plugins', 'delete', id, '-f']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /Deleting plugin [0-9a-f-]+\.\.\.\n.*Plugin deleted/);
    assert.equal(json(await cfy(['plugins', 'list', '--json'])).length, 0);
  });
});
