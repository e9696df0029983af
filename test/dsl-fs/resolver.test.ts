// fsImportResolver / parseBlueprintDir: reads inside an extracted blueprint directory only.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fsImportResolver, parseBlueprintDir } from '../../src/dsl-fs/resolver.js';
import { DslError } from '../../src/dsl/index.js';

const base = mkdtempSync(join(tmpdir(), 'stratus-dsl-fs-'));
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

const HEADER = 'tosca_definitions_version: cloudify_dsl_1_3\n';

test('parseBlueprintDir: relative imports, nested folders, scripts and built-in spec URLs', () => {
  const dir = tree({
    'bp/blueprint.yaml': `${HEADER}imports:
  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml
  - types/app.yaml
node_templates:
  vm: {type: cloudify.nodes.Compute}
  app:
    type: my.App
    relationships: [{type: cloudify.relationships.contained_in, target: vm}]
    interfaces:
      cloudify.interfaces.lifecycle:
        create: scripts/create.sh
`,
    'bp/types/app.yaml': `${HEADER}imports: [more/base.yaml]\nnode_types:\n  my.App: {derived_from: my.Base}\n`,
    'bp/types/more/base.yaml': `${HEADER}node_types:\n  my.Base: {derived_from: cloudify.nodes.SoftwareComponent}\n`,
    'bp/scripts/create.sh': '#!/bin/sh\necho hi\n',
  });
  const plan = parseBlueprintDir(join(dir, 'bp'), 'blueprint.yaml');
  const app = plan.nodes.find((x: { name: string }) => x.name === 'app');
  assert.deepEqual(app.type_hierarchy.slice(-3), ['cloudify.nodes.SoftwareComponent', 'my.Base', 'my.App']);
  assert.equal(app.host_id, 'vm');
  const create = app.operations['cloudify.interfaces.lifecycle.create'];
  assert.equal(create.plugin, 'script');
  assert.equal(create.inputs.script_path, 'scripts/create.sh');
});

test('parseBlueprintDir: main file in a subfolder resolves imports against that folder', () => {
  const dir = tree({
    'sub/main.yaml': `${HEADER}imports: [t.yaml]\nnode_templates:\n  n: {type: t}\n`,
    'sub/t.yaml': 'node_types:\n  t: {}\n',
  });
  const plan = parseBlueprintDir(dir, './sub/main.yaml');
  assert.equal(plan.nodes[0].type, 't');
});

test('fsImportResolver refuses to leave the blueprint directory', () => {
  const outside = tree({ 'secret.yaml': 'node_types: {}\n' });
  const dir = tree({ 'bp/blueprint.yaml': HEADER, 'bp/ok.yaml': 'x: 1\n' });
  symlinkSync(join(outside, 'secret.yaml'), join(dir, 'bp', 'link.yaml'));
  symlinkSync(outside, join(dir, 'bp', 'linkdir'));
  const r = fsImportResolver(join(dir, 'bp'));
  assert.equal(r.read('ok.yaml'), 'x: 1\n');
  assert.equal(r.read('./ok.yaml'), 'x: 1\n');
  // `..` that stays inside the directory is fine.
  assert.equal(r.read('../bp/ok.yaml'), 'x: 1\n');
  for (const bad of [
    `../../${outside.split('/').pop()}/secret.yaml`,
    '../../../../../../../../etc/passwd',
    join(outside, 'secret.yaml'),
    '/etc/passwd',
    'link.yaml',
    'linkdir/secret.yaml',
    `file://${join(outside, 'secret.yaml')}`,
    'http://example.com/types.yaml',
    '.',
    '',
    'missing.yaml',
  ])
    assert.equal(r.read(bad), undefined, bad);
});

test('parseBlueprintDir: an import escaping the directory is error 13 and names the import', () => {
  const outside = tree({ 'evil.yaml': 'node_types:\n  t: {}\n' });
  const dir = tree({
    'bp/blueprint.yaml': `${HEADER}imports: [../../${outside.split('/').pop()}/evil.yaml]\n`,
  });
  assert.throws(
    () => parseBlueprintDir(join(dir, 'bp'), 'blueprint.yaml'),
    (e) => e instanceof DslError && e.code === 13 && e.message.includes('evil.yaml'),
  );
});

test('parseBlueprintDir: unknown URLs are not fetched; missing main file and directory are errors', () => {
  const dir = tree({ 'blueprint.yaml': `${HEADER}imports: [http://example.invalid/x.yaml]\n` });
  assert.throws(
    () => parseBlueprintDir(dir, 'blueprint.yaml'),
    (e) => e instanceof DslError && e.code === 13 && e.message.includes('http://example.invalid/x.yaml'),
  );
  assert.throws(
    () => parseBlueprintDir(dir, 'nope.yaml'),
    (e) => e instanceof DslError && e.code === 13,
  );
  assert.throws(
    () => parseBlueprintDir(dir, '../blueprint.yaml'),
    (e) => e instanceof DslError && e.code === 13,
  );
  assert.throws(
    () => parseBlueprintDir(join(dir, 'no-such-dir'), 'blueprint.yaml'),
    (e) => e instanceof DslError && e.code === 13,
  );
});

test('fsImportResolver: a file over the size limit is a DslError, not a read', () => {
  const dir = tree({ 'big.yaml': `a: ${'x'.repeat(2000)}\n` });
  assert.throws(
    () => fsImportResolver(dir, { maxFileBytes: 1000 }).read('big.yaml'),
    (e) => e instanceof DslError && /limit/.test(e.message),
  );
});

test('parseBlueprintDir passes parse options through (resources_base_path, validate_version)', () => {
  const dir = tree({
    'blueprint.yaml': `${HEADER}imports: [shared.yaml]\n`,
    'res/shared.yaml': 'tosca_definitions_version: cloudify_dsl_1_5\nnode_types:\n  t: {}\n',
  });
  assert.throws(
    () => parseBlueprintDir(dir, 'blueprint.yaml', { resourcesBasePath: 'res' }),
    (e) => e instanceof DslError && e.code === 28,
  );
  const plan = parseBlueprintDir(dir, 'blueprint.yaml', { resourcesBasePath: 'res', validateVersion: false });
  assert.deepEqual(plan.nodes, []);
});
