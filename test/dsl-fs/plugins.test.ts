// dsl-fs imports of the manager's resources: `cloudify/types/types.yaml` and `plugin:<name>?version=…`
// against uploaded plugins (Cloudify's resolver_with_catalog_support rules).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { choosePlugin, PluginImportError, type UploadedPlugin } from '../../src/dsl-fs/plugins.js';
import { parseBlueprintDir } from '../../src/dsl-fs/resolver.js';
import { DslError } from '../../src/dsl/index.js';

const base = mkdtempSync(join(tmpdir(), 'stratus-dsl-fs-plugins-'));
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
function tree(files: Record<string, string>): string {
  const dir = join(base, `bp${n++}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

const yamlOf = (version: string, short = 'fab') => `
plugins:
  ${short}:
    executor: central_deployment_agent
    package_name: cloudify-fabric-plugin
    package_version: '${version}'
node_types:
  fab.nodes.Thing:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: ${short}.fabric_plugin.tasks.run_task
`;

const plugin = (version: string, extra: Partial<UploadedPlugin> = {}): UploadedPlugin => ({
  package_name: 'cloudify-fabric-plugin',
  package_version: version,
  distribution: 'centos',
  yaml_text: yamlOf(version),
  ...extra,
});
const UPLOADED = [plugin('1.7.0'), plugin('2.0.6'), plugin('2.0.10'), plugin('3.0.0rc1')];

const bp = (imports: string[]) =>
  tree({
    'blueprint.yaml': `tosca_definitions_version: cloudify_dsl_1_3
imports:
${imports.map((i) => `  - '${i}'`).join('\n')}
node_templates:
  t: {type: fab.nodes.Thing}
`,
  });

const versionOf = (imports: string[]) => {
  const plan = parseBlueprintDir(bp(imports), 'blueprint.yaml', {
    resourcesBasePath: '.',
    plugins: UPLOADED,
  });
  return plan.deployment_plugins_to_install.map((p: { package_version: string }) => p.package_version);
};

test('cloudify/types/types.yaml is the built-in types, from the root and from a subfolder main file', () => {
  const dir = tree({
    'blueprint.yaml':
      'tosca_definitions_version: cloudify_dsl_1_3\nimports: [cloudify/types/types.yaml]\nnode_templates:\n  vm: {type: cloudify.nodes.Compute, properties: {agent_config: {install_method: none}}}\n',
    'sub/main.yaml':
      'tosca_definitions_version: cloudify_dsl_1_3\nimports: [cloudify/types/types.yaml]\nnode_templates:\n  x: {type: cloudify.nodes.Root}\n',
  });
  const plan = parseBlueprintDir(dir, 'blueprint.yaml', { resourcesBasePath: '.' });
  assert.equal(plan.nodes[0].type, 'cloudify.nodes.Compute');
  assert.ok('install' in plan.workflows);
  const sub = parseBlueprintDir(dir, 'sub/main.yaml', { resourcesBasePath: '.' });
  assert.equal(sub.nodes[0].type, 'cloudify.nodes.Root');
  // Other paths under cloudify/ are not invented.
  const other = tree({
    'blueprint.yaml': 'tosca_definitions_version: cloudify_dsl_1_3\nimports: [cloudify/types/other.yaml]\n',
  });
  assert.throws(
    () => parseBlueprintDir(other, 'blueprint.yaml', { resourcesBasePath: '.' }),
    (e: unknown) =>
      e instanceof DslError && /Unable to open import url cloudify\/types\/other\.yaml/.test(e.message),
  );
});

test('a blueprint file named cloudify/types/types.yaml wins over the built-in one', () => {
  const dir = tree({
    'blueprint.yaml':
      'tosca_definitions_version: cloudify_dsl_1_3\nimports: [cloudify/types/types.yaml]\nnode_templates:\n  x: {type: my.Own}\n',
    'cloudify/types/types.yaml': 'node_types:\n  my.Own: {}\n',
  });
  const plan = parseBlueprintDir(dir, 'blueprint.yaml', { resourcesBasePath: '.' });
  assert.deepEqual(plan.nodes[0].type_hierarchy, ['my.Own']);
  assert.equal(plan.workflows.install, undefined);
});

test('plugin: imports pick the highest matching version (PEP 440 specifiers, no pre-release unless named)', () => {
  const types = 'cloudify/types/types.yaml';
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin']), ['2.0.10']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=3.0.0rc1']), ['3.0.0rc1']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=>=3.0.0rc1']), ['3.0.0rc1']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=2.0.6']), ['2.0.6']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=>=2.0,<3']), ['2.0.10']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=~=2.0.0']), ['2.0.10']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version===1.*']), ['1.7.0']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=!=3.0.0rc1']), ['2.0.10']);
  assert.deepEqual(versionOf([types, 'plugin:cloudify-fabric-plugin?version=<3']), ['2.0.10']);
});

test('plugin: imports that nothing answers fail with 5.1 messages', () => {
  const fails = (imports: string[], re: RegExp, plugins = UPLOADED) =>
    assert.throws(
      () => parseBlueprintDir(bp(imports), 'blueprint.yaml', { plugins }),
      (e: unknown) =>
        e instanceof PluginImportError && e.errorCode === 'invalid_plugin_error' && re.test(e.message),
    );
  fails(
    ['plugin:cloudify-other-plugin?version=1.0'],
    /^Plugin cloudify-other-plugin \(query: \{'package_name': 'cloudify-other-plugin', 'package_version': \['1\.0'\]\}\) not found$/,
  );
  fails(['plugin:cloudify-fabric-plugin'], /not found/, []);
  fails(
    ['plugin:cloudify-fabric-plugin?version=9'],
    /^No matching version was found for plugin cloudify-fabric-plugin and version\(s\) \['9'\]\.$/,
  );
  fails(['plugin:cloudify-fabric-plugin?version=2.0,'], /are in an invalid form/);
  fails(
    ['plugin:cloudify-fabric-plugin'],
    /^Plugin cloudify-fabric-plugin: expected one yaml file, but found 0$/,
    [plugin('1.0', { yaml_text: null })],
  );
});

test('choosePlugin filters by distribution when one is given', () => {
  const ps = [plugin('1.0', { distribution: 'centos' }), plugin('1.1', { distribution: 'ubuntu' })];
  assert.equal(choosePlugin(ps, 'cloudify-fabric-plugin', undefined, 'centos').package_version, '1.0');
  assert.equal(choosePlugin(ps, 'cloudify-fabric-plugin', undefined).package_version, '1.1');
  assert.throws(
    () => choosePlugin(ps, 'cloudify-fabric-plugin', '1.0', 'rhel'),
    /\(query: \{'distribution': \['rhel'\], 'package_name': 'cloudify-fabric-plugin', 'package_version': \['1\.0'\]\}\) not found/,
  );
});

test('plugin: imports honour distribution= and a repeated version=', () => {
  const ps = [plugin('1.0', { distribution: 'centos' }), plugin('1.1', { distribution: 'ubuntu' })];
  const picked = (target: string) =>
    parseBlueprintDir(bp(['cloudify/types/types.yaml', target]), 'blueprint.yaml', {
      resourcesBasePath: '.',
      plugins: ps,
    }).deployment_plugins_to_install.map((p: { package_version: string }) => p.package_version);
  assert.deepEqual(picked('plugin:cloudify-fabric-plugin'), ['1.1']);
  assert.deepEqual(picked('plugin:cloudify-fabric-plugin?distribution=centos'), ['1.0']);
  assert.deepEqual(picked('plugin:cloudify-fabric-plugin?version=>=1.0&version=<1.1'), ['1.0']);
  assert.throws(
    () => picked('plugin:cloudify-fabric-plugin?distribution=rhel'),
    /\(query: \{'distribution': \['rhel'\], 'package_name': 'cloudify-fabric-plugin'\}\) not found/,
  );
});
