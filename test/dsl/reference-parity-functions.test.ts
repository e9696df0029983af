// Reference (cloudify-common dsl_parser) behaviours beyond the shared fixtures, one test per kind:
// intrinsic functions, version gates, YAML errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DslError, parseBlueprint, prepareDeploymentPlan } from '../../src/dsl/index.js';
import { files, outcome, parse, V } from './reference-helpers.js';

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

test('function arguments are checked like the reference (shape, types, version)', () => {
  const node = (v: string, value: string) =>
    `${V(v)}node_types:\n  t:\n    properties:\n      p: {}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: ${value}\n`;
  const cases: [string, string, string][] = [
    ['1_0', '{concat: [a, b]}', 'FunctionValidationError(null)'],
    ['1_1', '{concat: [a, b]}', 'ok'],
    ['1_2', '{merge: [{a: 1}, {b: 2}]}', 'FunctionValidationError(null)'],
    ['1_3', '{merge: [{a: 1}, x]}', 'FunctionValidationError(null)'],
    ['1_3', '{get_capability: [a, [b]]}', 'ValueError(null)'],
    ['1_3', '{get_group_capability: [g, [a, b]]}', 'ok'],
    ['1_3', '{get_group_capability: [g, x, {a: 1}]}', 'ValueError(null)'],
    ['1_3', '{get_secret: [x]}', 'FunctionValidationError(null)'],
    ['1_3', '{get_secret: [x, y]}', 'ok'],
    ['1_3', '{get_consumers: foo}', 'ValueError(null)'],
    ['1_3', '{string_find: [1, a]}', 'FunctionValidationError(null)'],
    ['1_3', '{string_lower: [A]}', 'FunctionValidationError(null)'],
    ['1_3', '{string_replace: [abc, b, x, y]}', 'FunctionValidationError(null)'],
    ['1_3', '{string_replace: [abc, b, x, 1]}', 'ok'],
  ];
  for (const [v, value, want] of cases)
    assert.equal(
      outcome(() => parse(node(v, value))),
      want,
      value,
    );
  // the string_* functions are validated in deployment_settings and outputs too
  assert.equal(
    outcome(() => parse(`${V('1_4')}outputs:\n  o: {value: {string_upper: [a]}}\n`)),
    'FunctionValidationError(null)',
  );
});

test('a runtime function in the arguments of a static one, at deployment creation', () => {
  const node = (value: string) =>
    `${V('1_3')}inputs:\n  i: {default: {a: 1}}\nnode_types:\n  t:\n    properties:\n      p: {}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: ${value}\n`;
  const deploy = (value: string) => () => prepareDeploymentPlan(parse(node(value)), {});
  // get_input, get_property and string_* cannot use it; concat and merge stay for runtime
  assert.equal(outcome(deploy('{get_input: [i, {get_attribute: [n, a]}]}')), 'FunctionEvaluationError(null)');
  assert.equal(outcome(deploy('{string_lower: {get_attribute: [n, a]}}')), 'FunctionEvaluationError(null)');
  const dp = prepareDeploymentPlan(parse(node('{concat: [a, {get_attribute: [n, a]}]}')), {});
  assert.deepEqual(dp.nodes[0].properties.p, { concat: ['a', { get_attribute: ['n', 'a'] }] });
});

test('version gates: required before 1_2, max_retries/retry_interval before 1_1 (102)', () => {
  const plugin = 'plugins:\n  pl: {executor: central_deployment_agent, source: x}\n';
  const req = (v: string) =>
    `${V(v)}node_types:\n  t:\n    properties:\n      p: {required: false}\nnode_templates:\n  n: {type: t}\n`;
  assert.equal(
    outcome(() => parse(req('1_0'))),
    'DSLParsingLogicException(102)',
  );
  assert.equal(
    outcome(() => parse(req('1_2'))),
    'ok',
  );
  assert.equal(
    outcome(() => parse(`${V('1_1')}inputs:\n  i: {required: false}\n`)),
    'DSLParsingLogicException(102)',
  );
  const op = (v: string, field: string) =>
    `${V(v)}${plugin}node_types:\n  t: {}\nnode_templates:\n  n:\n    type: t\n    interfaces:\n      i:\n        op: {implementation: pl.a.b, ${field}: 2}\n`;
  for (const f of ['max_retries', 'retry_interval']) {
    assert.equal(
      outcome(() => parse(op('1_0', f))),
      'DSLParsingLogicException(102)',
      f,
    );
    assert.equal(
      outcome(() => parse(op('1_1', f))),
      'ok',
      f,
    );
  }
  // validate_version: false lets them through
  const text = req('1_0');
  assert.ok(
    parseBlueprint({ mainFile: 'b.yaml', resolver: files({ 'b.yaml': text }), validateVersion: false }),
  );
});

test('an operation executor other than the two agents is 28; constraint arguments are checked (212)', () => {
  const op = (executor: string) =>
    `${V('1_3')}plugins:\n  pl: {executor: central_deployment_agent, source: x}\nnode_types:\n  t:\n    interfaces:\n      i:\n        op: {implementation: pl.a.b, executor: ${executor}}\nnode_templates:\n  n: {type: t}\n`;
  assert.equal(
    outcome(() => parse(op('foo'))),
    'DSLParsingLogicException(28)',
  );
  assert.equal(
    outcome(() => parse(op('host_agent'))),
    'DSLParsingLogicException(24)',
  ); // no host
  const input = (c: string) => `${V('1_3')}inputs:\n  i:\n    default: abc\n    constraints:\n      - ${c}\n`;
  assert.equal(
    outcome(() => parse(input('max_length: x'))),
    'DSLParsingLogicException(212)',
  );
  assert.equal(
    outcome(() => parse(input('max_length: 2'))),
    'ConstraintException(null)',
  );
  assert.equal(
    outcome(() => parse(input('max_length: 3'))),
    'ok',
  );
  assert.equal(
    outcome(() => parse(input('in_range: [1]'))),
    'DSLParsingLogicException(212)',
  );
  assert.equal(
    outcome(() => parse(input('pattern: "("'))),
    'DSLParsingLogicException(212)',
  );
});

test('YAML errors: the reference class and code, with the line and column', () => {
  const err = (text: string): DslError => {
    try {
      parse(text);
    } catch (e) {
      assert.ok(e instanceof DslError, String(e));
      return e;
    }
    assert.fail('parsed');
  };
  const h = V('1_3');
  const cases: [string, string, number, number][] = [
    // parser errors: DSLParsingFormatException -1
    [`${h}node_types:\n  t:\n   - a\n  b: c\n d: e\n`, 'DSLParsingFormatException(-1)', 6, 2],
    [`${h}node_types: [a, b\n`, 'DSLParsingFormatException(-1)', 3, 1],
    // scanner errors: ScannerError, no code
    [`${h}node_types:\n  a: b: c\n`, 'ScannerError(null)', 3, 7],
    [`${h}node_types:\n  a: 1\n   b: 2\n`, 'ScannerError(null)', 4, 5],
    [`${h}node_types:\n\ta: 1\n`, 'ScannerError(null)', 3, 1],
    [`${h}node_types: @x\n`, 'ScannerError(null)', 2, 13],
    [`${h}description: "abc\nnode_types: {}\n`, 'ScannerError(null)', 4, 1],
  ];
  for (const [text, want, line, column] of cases) {
    const e = err(text);
    assert.equal(`${e.errorClass}(${e.code})`, want, text);
    assert.deepEqual([e.line, e.column], [line, column], text);
    assert.match(e.message, new RegExp(`line ${line}, column ${column}`));
  }
  assert.equal(err(`${h}node_types: *x\n`).errorClass, 'ComposerError');
});
