import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixedClock, step } from '../../src/engine/index.js';
import { before, fixturePlan, graphFor, label, run, start } from './helpers.js';

describe('install order (§3.2–3.3)', () => {
  const graph = graphFor('install');
  const log = run(start(graph));

  it('ends terminated with every instance started, states in install order', () => {
    assert.equal(log.state.status, 'terminated');
    for (const id of ['host_1', 'host_2', 'db_1', 'db_2', 'app_1']) {
      assert.deepEqual(log.nodeStates.get(id), [
        'initializing',
        'creating',
        'created',
        'configuring',
        'configured',
        'starting',
        'started',
      ]);
    }
  });

  it('runs each instance create → configure → start', () => {
    for (const id of ['host_1', 'db_2', 'app_1']) {
      assert.ok(before(log.trace, `${id}.create`, `${id}.configure`));
      assert.ok(before(log.trace, `${id}.configure`, `${id}.start`));
    }
  });

  it('installs a contained_in target fully before its source, per host instance', () => {
    assert.ok(before(log.trace, 'host_1.start', 'db_1.create'));
    assert.ok(before(log.trace, 'host_2.start', 'db_2.create'));
  });

  it('installs both connected_to targets (with their establish) before the app', () => {
    for (const db of ['db_1', 'db_2']) assert.ok(before(log.trace, `${db}.start`, 'app_1.create'));
  });

  it('runs relationship ops on source and target sides at the right steps', () => {
    for (const db of ['db_1', 'db_2']) {
      for (const side of ['source', 'target']) {
        assert.ok(before(log.trace, 'app_1.create', `app_1->${db}.preconfigure[${side}]`));
        assert.ok(before(log.trace, `app_1->${db}.preconfigure[${side}]`, 'app_1.configure'));
        assert.ok(before(log.trace, 'app_1.configure', `app_1->${db}.postconfigure[${side}]`));
        assert.ok(before(log.trace, `app_1->${db}.postconfigure[${side}]`, 'app_1.start'));
        assert.ok(before(log.trace, 'app_1.start', `app_1->${db}.establish[${side}]`));
      }
    }
  });

  it('runs the two hosts in parallel, one graph op per remote task', () => {
    const first = log.trace.slice(0, 2);
    assert.deepEqual(first.sort(), ['dispatch:host_1.create', 'dispatch:host_2.create']);
    assert.equal(new Set(log.dispatched).size, log.dispatched.length);
  });

  it('emits task and workflow events in order', () => {
    const types = log.events.map((e) => e.event_type);
    assert.equal(types[0], 'workflow_started');
    assert.equal(types.at(-1), 'workflow_succeeded');
    const remote = graph.operations.filter((o) => o.type === 'RemoteWorkflowTask').length;
    for (const t of ['sending_task', 'task_started', 'task_succeeded']) {
      assert.equal(types.filter((x) => x === t).length, remote, t);
    }
    const created = log.events.find((e) => e.message.text === 'Node instance created');
    assert.equal(created?.event_type, 'workflow_node_event');
    assert.equal(created?.context.execution_id, 'exec-1');
  });

  it('event in, commands out: host_1.create succeeding releases host_1.configure', () => {
    const clock = fixedClock();
    let s = start(graph);
    s = step(s, { type: 'start' }, { clock }).state;
    const create = graph.operations.find((o) => label(o) === 'host_1.create')!;
    s = step(s, { type: 'operationStarted', operationId: create.id }, { clock }).state;
    const { commands } = step(s, { type: 'operationSucceeded', operationId: create.id }, { clock });
    const kinds = commands.map((c) =>
      c.kind === 'dispatchOperation'
        ? `dispatch ${label(c.operation)}`
        : c.kind === 'setNodeInstanceState'
          ? `state ${c.nodeInstanceId}=${c.state}`
          : c.kind,
    );
    assert.deepEqual(
      kinds.filter((k) => k.startsWith('state') || k.startsWith('dispatch')),
      ['state host_1=created', 'state host_1=configuring', 'dispatch host_1.configure'],
    );
    assert.equal(commands[0].kind, 'persistOperationState');
  });

  it('does not mutate the input state', () => {
    const clock = fixedClock();
    const s0 = start(graph);
    const snapshot = JSON.stringify(s0.rt);
    step(s0, { type: 'start' }, { clock });
    assert.equal(JSON.stringify(s0.rt), snapshot);
  });

  it('matches the reference trace of §3.10 (app contained_in host + connected_to db)', () => {
    const plan = fixturePlan({ appContainedInHost: true });
    // one host, one db on its own host-less tree, as in the reference blueprint
    plan.node_instances = [
      { id: 'host_1', node_id: 'host', host_id: 'host_1', relationships: [] },
      { id: 'db_1', node_id: 'db', relationships: [] },
      {
        id: 'app_1',
        node_id: 'app',
        host_id: 'host_1',
        relationships: [
          { type: 'cloudify.relationships.contained_in', target_id: 'host_1', target_name: 'host' },
          { type: 'cloudify.relationships.connected_to', target_id: 'db_1', target_name: 'db' },
        ],
      },
    ];
    const l = run(start(graphFor('install', {}, plan)));
    for (const t of ['host_1.start', 'db_1.start']) assert.ok(before(l.trace, t, 'app_1.create'));
    assert.ok(before(l.trace, 'app_1.create', 'app_1->db_1.preconfigure[source]'));
    assert.ok(before(l.trace, 'app_1.start', 'app_1->db_1.establish[target]'));
    assert.equal(l.state.status, 'terminated');
  });

  it('skips already started instances and NOP operations', () => {
    const plan = fixturePlan();
    plan.node_instances[0].state = 'started';
    delete plan.nodes[1].operations!['cloudify.interfaces.lifecycle.configure'];
    const g = graphFor('install', {}, plan);
    const labels = g.operations.filter((o) => o.type === 'RemoteWorkflowTask').map(label);
    assert.ok(!labels.some((l) => l.startsWith('host_1.')));
    assert.ok(!labels.includes('db_1.configure'));
    const l = run(start(g));
    assert.deepEqual(l.nodeStates.get('db_1'), [
      'initializing',
      'creating',
      'created',
      'starting',
      'started',
    ]);
  });

  it('an instance with no operations is just set started; a host still goes through initializing', () => {
    const plan = fixturePlan();
    plan.nodes[0].operations = {};
    plan.nodes[1].operations = {};
    const l = run(start(graphFor('install', {}, plan)));
    assert.deepEqual(l.nodeStates.get('db_1'), ['started']);
    const texts = (id: string) =>
      l.events.filter((e) => e.context.node_instance_id === id).map((e) => e.message.text);
    assert.deepEqual(texts('db_1'), ['Node instance started (nothing to do)']);
    // lifecycle.py: a Compute node always has its host post-start steps, so it is never "nothing to do"
    assert.deepEqual(l.nodeStates.get('host_1'), ['initializing', 'started']);
    assert.deepEqual(texts('host_1'), [
      'Validating node instance before creation: nothing to do',
      'Precreating node instance: nothing to do',
      'Creating node instance: nothing to do',
      'Configuring node instance: nothing to do',
      'Starting node instance: nothing to do',
      'Poststarting node instance: nothing to do',
      'Node instance started',
    ]);
  });
});

describe('depends_on_lifecycle_operation (§3.3)', () => {
  it('lets the source start once the target operation is done', () => {
    const plan = fixturePlan();
    const app = plan.nodes[2];
    app.relationships = [
      {
        type: 'cloudify.relationships.depends_on_lifecycle_operation',
        target_id: 'db',
        type_hierarchy: [
          'cloudify.relationships.depends_on',
          'cloudify.relationships.depends_on_lifecycle_operation',
        ],
        properties: { operation: 'create' },
      },
    ];
    for (const r of plan.node_instances[4].relationships!)
      r.type = 'cloudify.relationships.depends_on_lifecycle_operation';
    const l = run(start(graphFor('install', {}, plan)));
    assert.equal(l.state.status, 'terminated');
    assert.ok(before(l.trace, 'db_1.create', 'app_1.create'));
    assert.ok(l.trace.indexOf('dispatch:app_1.create') < l.trace.indexOf('done:db_1.start'));
  });
});

describe('order through intact instances (5.1.2 stub subgraphs)', () => {
  it('install: a selected source waits for a selected target it reaches through an intact one', () => {
    // app → db (intact, not selected) → host: Cloudify's db stub orders app after both hosts
    const l = run(start(graphFor('install', { node_ids: ['app', 'host'] })));
    assert.equal(l.state.status, 'terminated');
    assert.ok(!l.dispatched.some((d) => d.startsWith('db_')));
    for (const h of ['host_1', 'host_2']) assert.ok(before(l.trace, `${h}.start`, 'app_1.create'));
  });

  it('uninstall: a selected target waits for a selected source it reaches through an intact one', () => {
    const plan = fixturePlan();
    for (const i of plan.node_instances) i.state = 'started';
    const l = run(start(graphFor('uninstall', { node_ids: ['app', 'host'] }, plan)));
    assert.equal(l.state.status, 'terminated');
    for (const h of ['host_1', 'host_2']) assert.ok(before(l.trace, 'app_1.delete', `${h}.stop`));
  });
});
