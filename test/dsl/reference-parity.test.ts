// Reference (cloudify-common dsl_parser) behaviours beyond the shared fixtures, one test per kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DslError, type ImportResolver, parseBlueprint, prepareDeploymentPlan } from '../../src/dsl/index.js';

const files = (map: Record<string, string>): ImportResolver => ({ read: (p) => map[p] });
const parse = (text: string, extra: Record<string, string> = {}) =>
  parseBlueprint({ mainFile: 'blueprint.yaml', resolver: files({ 'blueprint.yaml': text, ...extra }) });
const V = (v: string) => `tosca_definitions_version: cloudify_dsl_${v}\n`;

/** The error thrown by fn, as `Class(code)`, or `ok`. Anything but a DslError fails the test. */
function outcome(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DslError, `not a DslError: ${(e as Error)?.stack}`);
    return `${e.errorClass}(${e.code})`;
  }
  return 'ok';
}

const propNode = (props: string) =>
  `${V('1_3')}node_types:\n  t:\n    properties:\n      prop: {}\n      other: {required: false}\nnode_templates:\n  n:\n    type: t\n    properties:\n${props}`;

test('circular get_property ends in EvaluationRecursionLimitReached, not a stack overflow', () => {
  const cases = [
    '      prop:\n        get_input:\n          get_property: [n, prop]\n',
    '      prop:\n        get_property:\n          - get_property: [n, prop]\n          - x\n',
    '      prop:\n        key:\n          get_property:\n            - get_property: [n, prop]\n            - x\n',
    '      prop: {get_property: [SELF, other]}\n      other: {concat: [{get_property: [SELF, prop]}]}\n',
  ];
  for (const c of cases) {
    const plan = parse(propNode(c));
    const started = Date.now();
    assert.equal(
      outcome(() => prepareDeploymentPlan(plan, {})),
      'EvaluationRecursionLimitReached(null)',
      c,
    );
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  }
  // a chain that is deep but not circular still evaluates
  const plan = parse(propNode('      prop: {get_property: [SELF, other]}\n      other: {concat: [a, b]}\n'));
  assert.equal(prepareDeploymentPlan(plan, {}).nodes[0].properties.prop, 'ab');
});
