// Reference (cloudify-common dsl_parser) behaviours beyond the shared fixtures, one test per kind:
// templates, inputs, scaling groups, namespaces, deployment settings, policies, YAML floats.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareDeploymentPlan } from '../../src/dsl/index.js';
import { outcome, parse, V } from './reference-helpers.js';

test('get_property paths are checked at parse time', () => {
  const bp = (value: string, extra = '') =>
    `${V('1_3')}node_types:\n  t:\n    properties:\n      a: {default: {x: [1]}}\n      b: {required: false}\nnode_templates:\n  n:\n    type: t\n    properties:\n      b: ${value}\n${extra}`;
  assert.equal(
    outcome(() => parse(bp('{get_property: [SELF, a, y]}'))),
    'FunctionEvaluationError(null)',
  );
  assert.equal(
    outcome(() => parse(bp('{get_property: [SELF, c]}'))),
    'FunctionEvaluationError(null)',
  );
  assert.equal(
    outcome(() => parse(bp('{get_property: [SELF, a, x, 0]}'))),
    'ok',
  );
  assert.equal(
    outcome(() => parse(bp('x', 'outputs:\n  o: {value: {get_property: [n, a, x, 3]}}\n'))),
    'FunctionEvaluationError(null)',
  );
  // a path through a function is left to the deployment
  assert.equal(
    outcome(() => parse(bp('{get_property: [SELF, a, {get_input: i}]}', 'inputs:\n  i: {}\n'))),
    'ok',
  );
});

test('operation inputs: template values count before the type requires an input', () => {
  const bp = (template: string) =>
    `${V('1_3')}plugins:\n  pl: {executor: central_deployment_agent, source: x}\nnode_types:\n  t:\n    interfaces:\n      i:\n        op:\n          implementation: pl.a.b\n          inputs:\n            req: {type: string}\nnode_templates:\n  n:\n    type: t\n${template}`;
  const ops = (template: string) => parse(bp(template)).nodes[0].operations['i.op'];
  assert.deepEqual(
    ops('    interfaces:\n      i:\n        op:\n          inputs:\n            req: v\n').inputs,
    {
      req: 'v',
    },
  );
  // another implementation replaces the type's operation, its input schema included
  const other = ops('    interfaces:\n      i:\n        op: pl.c.d\n');
  assert.deepEqual([other.operation, other.inputs], ['c.d', {}]);
  assert.equal(
    outcome(() => parse(bp(''))),
    'DSLParsingLogicException(107)',
  );
});

test("an input's data-typed default is completed with the data type's defaults", () => {
  const plan = parse(
    `${V('1_3')}data_types:\n  d:\n    properties:\n      x: {default: 1}\n      y: {default: 2}\ninputs:\n  i:\n    type: d\n    default: {x: 5}\n`,
  );
  assert.deepEqual(plan.inputs.i.default, { x: 5, y: 2 });
  assert.deepEqual(prepareDeploymentPlan(plan, {}).inputs.i, { x: 5, y: 2 });
});

test('scaling groups: connections stay inside the group instance; only members list the group', () => {
  const rels =
    'relationships:\n  cloudify.relationships.depends_on:\n    properties:\n      connection_type: {default: all_to_all}\n  cloudify.relationships.connected_to: {derived_from: cloudify.relationships.depends_on}\n  cloudify.relationships.contained_in: {derived_from: cloudify.relationships.depends_on}\n';
  const to = (t: string, k = 'connected_to') => `      - {type: cloudify.relationships.${k}, target: ${t}}\n`;
  const plan = parse(
    `${V('1_3')}node_types:\n  t: {}\n${rels}node_templates:\n  a:\n    type: t\n    relationships:\n${to('b')}  b:\n    type: t\n  c:\n    type: t\n    relationships:\n${to('b')}  vm:\n    type: t\n  app:\n    type: t\n    relationships:\n${to('vm', 'contained_in')}${to('a')}groups:\n  g: {members: [a, b]}\n  outer: {members: [g, c]}\n  h: {members: [vm]}\npolicies:\n  p:\n    type: cloudify.policies.scaling\n    targets: [g]\n    properties: {default_instances: 2}\n  p2:\n    type: cloudify.policies.scaling\n    targets: [outer]\n    properties: {default_instances: 2}\n  p3:\n    type: cloudify.policies.scaling\n    targets: [h]\n    properties: {default_instances: 2}\n`,
  );
  let n = 0;
  const dp = prepareDeploymentPlan(plan, {}, { idGenerator: (p) => `${p}_${++n}` });
  const byId = new Map(dp.node_instances.map((i) => [i.id, i]));
  const groupId = (id: string, g: string) => byId.get(id)?.scaling_groups?.find((x) => x.name === g)?.id;
  for (const i of dp.node_instances.filter((x) => x.node_id === 'a')) {
    // each a connects to the one b of its own g instance, not to the other b of the outer instance
    const targets = i.relationships.map((r) => r.target_id);
    assert.equal(targets.length, 1);
    assert.equal(groupId(targets[0], 'g'), groupId(i.id, 'g'));
  }
  for (const i of dp.node_instances.filter((x) => x.node_id === 'c')) {
    const targets = i.relationships.map((r) => r.target_id);
    assert.equal(targets.length, 2); // both b of its outer instance
    for (const t of targets) assert.equal(groupId(t, 'outer'), groupId(i.id, 'outer'));
  }
  // app is contained in vm (member of h): it lists no scaling group itself
  for (const i of dp.node_instances.filter((x) => x.node_id === 'app'))
    assert.equal(i.scaling_groups, undefined);
  assert.equal(
    dp.node_instances.filter((x) => x.node_id === 'vm' && x.scaling_groups?.[0]?.name === 'h').length,
    2,
  );
});

test('namespaces: the last delimiter splits, nested function arguments and policy properties get the prefix', () => {
  const other = `${V('1_3')}inputs:\n  port: {default: 2}\n  key: {default: p}\nnode_types:\n  t:\n    properties:\n      p: {required: false}\n      q: {required: false}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: {concat: [{get_input: port}, x]}\n      q: {get_property: [n, {get_input: key}]}\ngroups:\n  g: {members: [n]}\npolicies:\n  pol:\n    type: cloudify.policies.scaling\n    targets: [g]\n    properties: {default_instances: {get_input: port}}\n`;
  const main = (imp: string) => `${V('1_3')}imports:\n  - ${imp}\n`;
  assert.equal(
    outcome(() => parse(main('a--b--other.yaml'), { 'other.yaml': other })),
    'DSLParsingLogicException(212)',
  );
  const plan = parse(main('ns--other.yaml'), { 'other.yaml': other });
  const n = plan.nodes[0];
  assert.equal(n.name, 'ns--n');
  assert.deepEqual(n.properties.p, { concat: [{ get_input: 'ns--port' }, 'x'] });
  assert.deepEqual(n.properties.q, { get_property: ['ns--n', { get_input: 'ns--key' }] });
  assert.deepEqual(plan.policies['ns--pol'].properties.default_instances, { get_input: 'ns--port' });
  const dp = prepareDeploymentPlan(plan, {});
  assert.equal(dp.node_instances.length, 2);
  // a file is the basic types only when it defines cloudify.nodes.Root: metadata alone is namespaced
  const meta = `metadata: {cloudify_types: true}\nnode_types:\n  mine: {}\n`;
  const p2 = parse(`${main('ns--m.yaml')}node_templates:\n  x: {type: ns--mine}\n`, { 'm.yaml': meta });
  assert.equal(p2.nodes[0].type, 'ns--mine');
  assert.deepEqual(p2.metadata, { 'ns--cloudify_types': true }); // metadata keys get the prefix too
});

test('deployment_settings: schema and default schedules checked and normalised', () => {
  const ds = (body: string) => `${V('1_4')}deployment_settings:\n${body}`;
  const plan = parse(
    ds(
      '  default_schedules:\n    s1:\n      workflow: install\n      since: "2021-1-1 12:00"\n      until: "+1d"\n      timezone: Asia/Jerusalem\n      recurrence: 1 w\n      weekdays: [mo, tu]\n    s2:\n      workflow: x\n      since: "2021-06-01 23:30"\n      timezone: America/New_York\n',
    ),
  );
  assert.deepEqual(plan.deployment_settings.default_schedules, {
    s1: {
      workflow: 'install',
      since: '2021-01-01 10:00:00',
      until: '+1d',
      recurrence: '1 w',
      weekdays: ['mo', 'tu'],
    },
    s2: { workflow: 'x', since: '2021-06-02 03:30:00' },
  });
  const s = (fields: string) => ds(`  default_schedules:\n    s1: {workflow: install, ${fields}}\n`);
  const cases: [string, string][] = [
    [ds('  foo: 1\n'), 'DSLParsingFormatException(1)'],
    [ds('  default_groups: x\n'), 'DSLParsingFormatException(1)'],
    [ds('  default_schedules:\n    s1: {workflow: install}\n'), 'DSLParsingFormatException(1)'],
    [s('since: "2021-1-1 12:00", count: x'), 'DSLParsingFormatException(1)'],
    [s('since: "2021-1-1 12:00", recurrence: 3 fortnights'), 'NonRecoverableError(null)'],
    [s('since: "2021-1-1 12:00", timezone: Mars/Base'), 'NonRecoverableError(null)'],
    [s('since: tomorrow'), 'NonRecoverableError(null)'],
    [s('since: "2021-1-1 12:00", weekdays: [xx]'), 'DSLParsingException(1)'],
    [
      s('since: "2021-1-1 12:00", workflow_parameters: {a: {get_attribute: [n, x]}}'),
      'DSLParsingException(1)',
    ],
    [s('since: "+2 d", until: "+1y"'), 'ok'],
  ];
  for (const [text, want] of cases)
    assert.equal(
      outcome(() => parse(text)),
      want,
      text,
    );
  // a written section always has default_schedules; none written is {}
  assert.deepEqual(parse(ds('  display_name: x\n')).deployment_settings, {
    display_name: 'x',
    default_schedules: {},
  });
  assert.deepEqual(parse(V('1_4')).deployment_settings, {});
});

test('legacy policy_types / policy_triggers and group policies are validated', () => {
  const h = `${V('1_0')}node_types:\n  t: {}\nnode_templates:\n  n: {type: t}\n`;
  const group = (policy: string) => `groups:\n  g:\n    members: [n]\n    policies:\n      p: ${policy}\n`;
  const cases: [string, string][] = [
    ['policy_types:\n  pt: {properties: {a: {}}}\n', 'DSLParsingFormatException(1)'],
    [
      'policy_types:\n  pt: {source: s, properties: {a: {type: integer, default: x}}}\n',
      'DSLParsingLogicException(105)',
    ],
    ['policy_types:\n  pt: {source: s, properties: {a: {type: nosuch}}}\n', 'DSLParsingLogicException(103)'],
    ['policy_triggers:\n  tr: {source: s, parameters: {x: {foo: 1}}}\n', 'DSLParsingFormatException(1)'],
    [group('{type: nope}'), 'DSLParsingLogicException(41)'],
    [
      `policy_types:\n  pt: {source: s, properties: {a: {default: 1}}}\n${group('{type: pt, properties: {b: 1}}')}`,
      'DSLParsingLogicException(106)',
    ],
    [
      `policy_types:\n  pt: {source: s, properties: {a: {}}}\n${group('{type: pt}')}`,
      'DSLParsingLogicException(107)',
    ],
    [
      `policy_types:\n  pt: {source: s, properties: {a: {type: integer}}}\n${group('{type: pt, properties: {a: x}}')}`,
      'DSLParsingLogicException(105)',
    ],
    [
      `policy_types:\n  pt: {source: s}\npolicy_triggers:\n  tr: {source: s, parameters: {x: {}}}\n${group('{type: pt, triggers: {t1: {type: nope}}}')}`,
      'DSLParsingLogicException(42)',
    ],
    [
      `policy_types:\n  pt: {source: s}\npolicy_triggers:\n  tr: {source: s, parameters: {x: {}}}\n${group('{type: pt, triggers: {t1: {type: tr}}}')}`,
      'DSLParsingLogicException(107)',
    ],
  ];
  for (const [text, want] of cases)
    assert.equal(
      outcome(() => parse(h + text)),
      want,
      text,
    );
  const plan = parse(
    `${h}policy_types:\n  pt: {source: s, properties: {a: {default: 1}, b: {}}}\npolicy_triggers:\n  tr: {source: s, parameters: {x: {default: 2}}}\n${group('{type: pt, properties: {b: 3}, triggers: {t1: {type: tr}}}')}`,
  );
  assert.deepEqual(plan.groups.g.policies.p, {
    type: 'pt',
    properties: { a: 1, b: 3 },
    triggers: { t1: { type: 'tr', parameters: { x: 2 } } },
  });
});

test('YAML floats stay floats: 5.0 is not an integer; 1e3 is a string as in PyYAML', () => {
  const h = V('1_3');
  const node = (type: string, value: string) =>
    `${h}node_types:\n  t:\n    properties:\n      p: {type: ${type}}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: ${value}\n`;
  assert.equal(
    outcome(() => parse(node('integer', '5.0'))),
    'DSLParsingLogicException(105)',
  );
  assert.equal(
    outcome(() => parse(node('integer', '5'))),
    'ok',
  );
  assert.equal(
    outcome(() => parse(node('integer', '0x1e'))),
    'ok',
  );
  assert.equal(parse(node('float', '5.0')).nodes[0].properties.p, 5);
  assert.equal(parse(node('string', '1e3')).nodes[0].properties.p, '1e3');
  assert.equal(parse(node('float', '1.5e+3')).nodes[0].properties.p, 1500);
  assert.equal(
    outcome(() => parse(`${h}inputs:\n  i: {type: integer, default: 5.0}\n`)),
    'DSLParsingLogicException(105)',
  );
  assert.equal(
    outcome(() => parse(`${h}node_types:\n  t:\n    properties:\n      p: {type: integer, default: 2.0}\n`)),
    'DSLParsingLogicException(105)',
  );
  const dt = `${h}data_types:\n  d:\n    properties:\n      x: {type: integer}\nnode_types:\n  t:\n    properties:\n      p: {type: d}\nnode_templates:\n  n:\n    type: t\n    properties:\n      p: {x: 2.0}\n`;
  assert.equal(
    outcome(() => parse(dt)),
    'DSLParsingLogicException(105)',
  );
});

test('unknown group members are 40; an unused relationship type with an unknown plugin is 19', () => {
  const h = `${V('1_0')}node_types:\n  t: {}\nnode_templates:\n  n: {type: t}\n`;
  assert.equal(
    outcome(() => parse(`${h}groups:\n  g: {members: [vm]}\n`)),
    'DSLParsingLogicException(40)',
  );
  assert.equal(
    outcome(() =>
      parse(
        `${h}relationships:\n  r:\n    source_interfaces:\n      i:\n        op: {implementation: no_plugin.op, inputs: {}}\n`,
      ),
    ),
    'DSLParsingLogicException(19)',
  );
});

test("a typed operation input: the dict value carries the schema's type; get_input there is checked", () => {
  const bp = (value: string) =>
    `${V('1_0')}plugins:\n  a: {executor: central_deployment_agent, install: false}\ninputs:\n  i_float: {type: float, default: 1.01}\n  i_string: {type: string, default: fox}\nnode_types:\n  t:\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create:\n          implementation: a.a\n          inputs:\n            v: {type: float}\nnode_templates:\n  n:\n    type: t\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create:\n          inputs:\n            v: ${value}\n`;
  const op = parse(bp('{get_input: i_float}')).nodes[0].operations.create;
  assert.deepEqual(op.inputs.v, { get_input: 'i_float', type: 'float' });
  assert.deepEqual(op.inputs_types, { v: 'float' });
  const dp = prepareDeploymentPlan(parse(bp('{get_input: i_float}')), {});
  assert.equal(dp.nodes[0].operations.create.inputs.v, 1.01);
  assert.equal(
    outcome(() => prepareDeploymentPlan(parse(bp('{get_input: i_string}')), {})),
    'InputEvaluationError(null)',
  );
});

test('the basic types may not be imported under a namespace of their own (214)', () => {
  const types =
    'node_types:\n  cloudify.nodes.Root: {}\nworkflows:\n  install: {mapping: dw.a.b}\nplugins:\n  dw: {executor: central_deployment_agent, install: false}\n';
  assert.equal(
    outcome(() => parse(`${V('1_3')}imports: [test--types.yaml]\n`, { 'types.yaml': types })),
    'DSLParsingLogicException(214)',
  );
  // inside a namespaced file they come without a namespace, names unchanged
  const lib = `${V('1_3')}imports: [types.yaml]\nnode_types:\n  t: {derived_from: cloudify.nodes.Root}\n`;
  const plan = parse(`${V('1_3')}imports: [ns--lib.yaml]\n`, { 'lib.yaml': lib, 'types.yaml': types });
  assert.ok('install' in plan.workflows);
  // a namespace of its own inside the namespaced file is refused; the version check comes after all fetching
  const lib2 = `${V('1_3')}imports: [x--types.yaml]\n`;
  assert.equal(
    outcome(() => parse(`${V('1_0')}imports: [ns--lib2.yaml]\n`, { 'lib2.yaml': lib2, 'types.yaml': types })),
    'DSLParsingLogicException(214)',
  );
});

test('operation inputs written as one function keep it; IDD names follow the bare operation name first', () => {
  const bp = `${V('1_3')}plugins:\n  p: {executor: central_deployment_agent, install: false}\nnode_types:\n  type:\n    properties:\n      property: {}\nnode_templates:\n  node:\n    type: type\n    properties:\n      property: {key2: value2}\n    interfaces:\n      interface:\n        op:\n          implementation: p.task\n          inputs: {merge: [{key1: value1}, {get_property: [SELF, property]}]}\n        op2:\n          implementation: p.task\n          inputs: {a: {get_capability: [dep, cap]}}\n`;
  const dp = prepareDeploymentPlan(parse(bp), {});
  const ops = dp.nodes[0].operations;
  assert.deepEqual(ops.op.inputs, { merge: [{ key1: 'value1' }, { key2: 'value2' }] });
  assert.deepEqual(
    (dp.inter_deployment_functions as any[]).map((f) => f.function_identifier),
    [
      'nodes.node.operations.op2.inputs.a.get_capability',
      'nodes.node.operations.interface.op2.inputs.a.get_capability',
    ],
  );
});
