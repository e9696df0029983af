// Reference behaviours the shared fixtures touch only lightly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DslError, type ImportResolver, parseBlueprint, prepareDeploymentPlan } from '../../src/dsl/index.js';

const files = (map: Record<string, string>): ImportResolver => ({ read: (p) => map[p] });
const parse = (text: string, extra: Record<string, string> = {}) =>
  parseBlueprint({ mainFile: 'blueprint.yaml', resolver: files({ 'blueprint.yaml': text, ...extra }) });
const code = (fn: () => unknown): number | null | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof DslError) return e.code;
    throw e;
  }
  return undefined;
};

test('a label key may be named like a function; its values are evaluated at deployment', () => {
  const plan = parse(
    'tosca_definitions_version: cloudify_dsl_1_3\ninputs:\n  env: {default: prod}\nlabels:\n  get_attribute:\n    values: [{get_input: env}, x]\n',
  );
  const dp = prepareDeploymentPlan(plan, {});
  assert.deepEqual(dp.labels.get_attribute.values, ['prod', 'x']);
});

test('data types: self-reference is 100, redefining a primitive is 104, nested defaults deep-merge', () => {
  const v = 'tosca_definitions_version: cloudify_dsl_1_3\n';
  assert.equal(
    code(() => parse(`${v}data_types:\n  l:\n    properties:\n      tail: {type: l, required: false}\n`)),
    100,
  );
  assert.equal(
    code(() => parse(`${v}data_types:\n  string:\n    properties: {}\n`)),
    104,
  );
  const plan = parse(`${v}data_types:
  inner: {properties: {a: {default: 1}, b: {default: 2}}}
  outer: {properties: {i: {type: inner, default: {a: 10}}}}
node_types:
  t1: {properties: {p: {type: outer, default: {i: {b: 20}}}}}
  t2: {derived_from: t1, properties: {p: {type: outer, default: {i: {a: 30}}}}}
node_templates:
  n: {type: t2}
`);
  assert.deepEqual(plan.nodes[0].properties.p, { i: { a: 30, b: 20 } });
});

test('namespaced imports prefix references and script mappings; the script plugin may be namespaced', () => {
  const plan = parse('tosca_definitions_version: cloudify_dsl_1_3\nimports: [ns--lib/app.yaml]\n', {
    'lib/app.yaml': `plugins:
  script: {executor: central_deployment_agent, install: false}
node_types:
  base: {}
  app: {derived_from: base}
node_templates:
  a:
    type: app
    interfaces:
      cloudify.interfaces.lifecycle: {create: scripts/c.sh}
`,
    'lib/scripts/c.sh': 'echo\n',
    'scripts/c.sh': 'echo\n',
  });
  const a = plan.nodes[0];
  assert.equal(a.name, 'ns--a');
  assert.deepEqual(a.type_hierarchy, ['ns--base', 'ns--app']);
  assert.equal(a.operations.create.plugin, 'ns--script');
  assert.equal(a.operations.create.inputs.script_path, 'ns--scripts/c.sh');
});
