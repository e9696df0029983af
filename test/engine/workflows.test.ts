import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUILTIN_WORKFLOWS,
  counterIds,
  planScaleModification,
  WorkflowParameterError,
} from '../../src/engine/index.js';
import { before, fixturePlan, graphFor, label, run, script, start } from './helpers.js';
import { pyRepr } from '../../src/engine/workflows/execute-operation.js';

const remoteLabels = (g: ReturnType<typeof graphFor>) =>
  g.operations.filter((o) => o.type === 'RemoteWorkflowTask').map(label);
const startedPlan = () => {
  const plan = fixturePlan();
  for (const i of plan.node_instances) i.state = 'started';
  return plan;
};

describe('execute_operation', () => {
  it('runs the operation on every filtered instance with merged kwargs', () => {
    const g = graphFor('execute_operation', {
      operation: 'cloudify.interfaces.lifecycle.configure',
      operation_kwargs: { extra: 1 },
      node_ids: ['db'],
    });
    assert.deepEqual(remoteLabels(g).sort(), ['db_1.configure', 'db_2.configure']);
    const op = g.operations.find((o) => o.type === 'RemoteWorkflowTask')!;
    assert.deepEqual(op.parameters.task_kwargs.inputs, { script_path: 'scripts/db-configure.sh', extra: 1 });
    const l = run(start(g));
    assert.equal(l.state.status, 'terminated');
    // workflows.py 5.1.2: the kwargs are in the start text, as Python prints a dict
    const texts = l.events
      .filter((e) => e.context.node_instance_id === 'db_1' && e.event_type === 'workflow_node_event')
      .map((e) => e.message.text);
    assert.deepEqual(texts, [
      "Starting operation cloudify.interfaces.lifecycle.configure (Operation parameters: {'extra': 1})",
      'Finished operation cloudify.interfaces.lifecycle.configure',
    ]);
    assert.equal(
      pyRepr({ s: "it's", n: null, b: [true, false, 1.5], d: { q: 'a"b' } }),
      `{'s': "it's", 'n': None, 'b': [True, False, 1.5], 'd': {'q': 'a"b'}}`,
    );
  });

  it('filters by node_instance_ids and type_names (ANDed)', () => {
    const op = 'cloudify.interfaces.lifecycle.start';
    assert.deepEqual(
      remoteLabels(graphFor('execute_operation', { operation: op, node_instance_ids: ['host_2'] })),
      ['host_2.start'],
    );
    assert.deepEqual(
      remoteLabels(
        graphFor('execute_operation', { operation: op, type_names: ['cloudify.nodes.SoftwareComponent'] }),
      ),
      ['db_1.start', 'db_2.start'],
    );
    assert.deepEqual(
      remoteLabels(
        graphFor('execute_operation', {
          operation: op,
          type_names: ['cloudify.nodes.Root'],
          node_ids: ['app'],
        }),
      ),
      ['app_1.start'],
    );
  });

  it('orders by dependencies only when asked', () => {
    const p = { operation: 'cloudify.interfaces.lifecycle.start' };
    const free = run(start(graphFor('execute_operation', p), 100));
    assert.ok(free.trace.indexOf('dispatch:app_1.start') < free.trace.indexOf('done:db_1.start'));
    const ordered = run(start(graphFor('execute_operation', { ...p, run_by_dependency_order: true })));
    assert.ok(before(ordered.trace, 'db_1.start', 'app_1.start'));
    assert.ok(before(ordered.trace, 'host_1.start', 'db_1.start'));
    // the db left out by the filter still orders app after the hosts (Cloudify's stub subgraphs)
    const through = run(
      start(
        graphFor('execute_operation', { ...p, run_by_dependency_order: true, node_ids: ['app', 'host'] }),
      ),
    );
    for (const h of ['host_1', 'host_2']) assert.ok(before(through.trace, `${h}.start`, 'app_1.start'));
  });

  it('rejects an unknown node, instance or operation', () => {
    const op = 'cloudify.interfaces.lifecycle.start';
    assert.throws(
      () => graphFor('execute_operation', { operation: op, node_ids: ['nope'] }),
      /Node nope does not exist/,
    );
    assert.throws(
      () => graphFor('execute_operation', { operation: op, node_instance_ids: ['nope_1'] }),
      WorkflowParameterError,
    );
    assert.throws(
      () => graphFor('execute_operation', { operation: 'my.custom.op' }),
      /my.custom.op operation of node instance host_1 does not exist/,
    );
  });

  it('rejects kwargs that clash with declared inputs unless allow_kwargs_override', () => {
    const p = {
      operation: 'cloudify.interfaces.lifecycle.create',
      operation_kwargs: { script_path: 'other.sh' },
      node_ids: ['host'],
    };
    assert.throws(() => graphFor('execute_operation', p), /allow_kwargs_override/);
    const g = graphFor('execute_operation', { ...p, allow_kwargs_override: true });
    assert.equal(
      g.operations.find((o) => o.type === 'RemoteWorkflowTask')!.parameters.task_kwargs.inputs?.script_path,
      'other.sh',
    );
  });
});

describe('workflow parameters', () => {
  it('rejects wrong types with the parameter name', () => {
    assert.throws(
      () => graphFor('execute_operation', { operation: 5 }),
      /parameter 'operation' must be of type string/,
    );
    assert.throws(
      () => graphFor('scale', { scalable_entity_name: 'host', delta: 'x' }),
      /'delta' must be of type integer/,
    );
    assert.throws(() => graphFor('install', { node_ids: 'host' }), /'node_ids' must be of type list/);
    assert.throws(() => graphFor('uninstall', { ignore_failure: 'yes' }), /'ignore_failure'/);
    assert.throws(() => graphFor('heal', {}), /missing mandatory parameter 'node_instance_id'/);
    assert.throws(() => graphFor('nope', {}), /not a built-in workflow/);
  });

  it('accepts the CLI string forms of integers and booleans', () => {
    const plan = fixturePlan();
    const mod = { added: [], removed: [] };
    assert.doesNotThrow(() =>
      graphFor('scale', { scalable_entity_name: 'host', delta: '0' }, plan, { modification: mod }),
    );
    assert.doesNotThrow(() => graphFor('uninstall', { ignore_failure: 'true' }));
  });

  it('every built-in workflow builds on the fixture', () => {
    for (const wf of BUILTIN_WORKFLOWS) {
      const params =
        wf === 'execute_operation'
          ? { operation: 'cloudify.interfaces.lifecycle.start' }
          : wf === 'heal'
            ? { node_instance_id: 'db_1' }
            : wf === 'scale'
              ? { scalable_entity_name: 'host', delta: 0 }
              : wf === 'update'
                ? { update_id: 'u1' }
                : {};
      const g = graphFor(wf, params, startedPlan());
      assert.equal(g.name, wf);
    }
  });
});

describe('start, stop, restart, reinstall', () => {
  it('start/stop run the lifecycle op on every instance, override allowed', () => {
    assert.deepEqual(remoteLabels(graphFor('stop', { operation_parms: { script_path: 'x' } })).sort(), [
      'app_1.stop',
      'db_1.stop',
      'db_2.stop',
      'host_1.stop',
      'host_2.stop',
    ]);
  });

  it('restart starts nothing before every stop is done', () => {
    const l = run(start(graphFor('restart')));
    const lastStop = Math.max(
      ...l.trace.flatMap((t, i) => (t.startsWith('done:') && t.endsWith('.stop') ? [i] : [])),
    );
    const firstStart = l.trace.findIndex((t) => t.startsWith('dispatch:') && t.endsWith('.start'));
    assert.ok(lastStop < firstStart);
  });

  it('reinstall uninstalls then installs each instance, targets first', () => {
    const l = run(start(graphFor('reinstall', {}, startedPlan())));
    assert.equal(l.state.status, 'terminated');
    assert.ok(before(l.trace, 'host_1.stop', 'host_1.create'));
    assert.ok(before(l.trace, 'db_1.start', 'app_1.stop'));
    assert.deepEqual(l.nodeStates.get('app_1')?.at(-1), 'started');
  });
});

describe('heal', () => {
  it('reinstalls the failing instance host subtree; intact neighbours unlink and re-establish', () => {
    const g = graphFor('heal', { node_instance_id: 'db_1' }, startedPlan());
    const labels = remoteLabels(g);
    assert.ok(
      labels.includes('host_1.stop') && labels.includes('db_1.create') && labels.includes('host_1.create'),
    );
    assert.ok(
      !labels.some((l) => l.startsWith('host_2.') || l.startsWith('db_2.') || l.startsWith('app_1.')),
    );
    assert.ok(
      labels.includes('app_1->db_1.unlink[source]') && labels.includes('app_1->db_1.establish[target]'),
    );
    assert.ok(!labels.some((l) => l.includes('app_1->db_2')));
    const l = run(start(g));
    assert.equal(l.state.status, 'terminated');
    assert.ok(before(l.trace, 'app_1->db_1.unlink[source]', 'db_1.stop'));
    assert.ok(before(l.trace, 'host_1.delete', 'host_1.create'));
    assert.ok(before(l.trace, 'db_1.start', 'app_1->db_1.establish[source]'));
    // the uninstall half ignores failures by default
    assert.ok(g.operations.filter((o) => label(o) === 'db_1.stop').every((o) => o.parameters.ignore_failure));
  });

  it('reinstalls even where lifecycle.heal is implemented, as 5.1.2 does', () => {
    const plan = startedPlan();
    for (const o of ['preheal', 'heal', 'postheal']) {
      plan.nodes[0].operations![`cloudify.interfaces.lifecycle.${o}`] = script(`host-${o}`);
    }
    const l = run(start(graphFor('heal', { node_instance_id: 'db_2' }, plan)));
    assert.equal(l.state.status, 'terminated');
    assert.ok(!l.dispatched.some((d) => /heal$/.test(d)));
    assert.ok(before(l.trace, 'db_2.delete', 'host_2.stop'));
    // the install half starts after the whole uninstall
    assert.ok(before(l.trace, 'host_2.delete', 'host_2.create'));
    assert.ok(before(l.trace, 'app_1->db_2.unlink[target]', 'host_2.create'));
    assert.deepEqual(l.nodeStates.get('db_2'), [
      'stopping',
      'stopped',
      'deleting',
      'deleted',
      'initializing',
      'creating',
      'created',
      'configuring',
      'configured',
      'starting',
      'started',
    ]);
  });

  it('refuses an unknown instance', () => {
    assert.throws(() => graphFor('heal', { node_instance_id: 'x' }, startedPlan()), /does not exist/);
  });
});

describe('scale', () => {
  const input = (parameters: Record<string, unknown>) => ({
    workflowId: 'scale',
    executionId: 'e',
    deploymentId: 'd1',
    plan: startedPlan(),
    parameters,
    ids: counterIds(),
  });

  it('plans the modification: node, host with scale_compute, group', () => {
    assert.deepEqual(
      (({ entity, currentInstances, plannedInstances }) => ({ entity, currentInstances, plannedInstances }))(
        planScaleModification(input({ scalable_entity_name: 'db', delta: 1, scale_compute: true })),
      ),
      { entity: 'host', currentInstances: 2, plannedInstances: 3 },
    );
    assert.equal(planScaleModification(input({ scalable_entity_name: 'db' })).entity, 'db');
    assert.throws(() => planScaleModification(input({ scalable_entity_name: 'nope' })), /No scalable entity/);
    assert.throws(() => planScaleModification(input({ scalable_entity_name: 'host', delta: -3 })), /illegal/);
    assert.throws(
      () =>
        planScaleModification(
          input({ scalable_entity_name: 'host', delta: 1, include_instances: ['host_1'] }),
        ),
      /scaling in/,
    );
  });

  it('+1 installs the added instances, intact related instances establish, then finish', () => {
    const added = [
      { id: 'host_3', node_id: 'host', host_id: 'host_3', relationships: [] },
      {
        id: 'db_3',
        node_id: 'db',
        host_id: 'host_3',
        relationships: [
          { type: 'cloudify.relationships.contained_in', target_id: 'host_3', target_name: 'host' },
        ],
      },
    ];
    const plan = startedPlan();
    // the modification also extends the intact app with a relationship to the new db
    plan.node_instances[4].relationships!.push({
      type: 'cloudify.relationships.connected_to',
      target_id: 'db_3',
      target_name: 'db',
    });
    const g = graphFor('scale', { scalable_entity_name: 'host', delta: 1, scale_compute: true }, plan, {
      modification: { id: 'm1', added, removed: [] },
    });
    const l = run(start(g));
    assert.equal(l.state.status, 'terminated');
    assert.ok(before(l.trace, 'host_3.start', 'db_3.create'));
    assert.ok(before(l.trace, 'db_3.start', 'app_1->db_3.establish[source]'));
    assert.ok(!l.dispatched.some((d) => d.startsWith('host_1') || d === 'app_1.create'));
    assert.equal(l.dispatched.at(-1), 'deployment_modification.finish');
    assert.ok(g.operations.some((o) => o.parameters.containing_subgraph === 'host_install_host_3'));
  });

  it('-1 uninstalls the removed instances after related intact ones unlink', () => {
    const plan = startedPlan();
    const removed = [plan.node_instances[1], plan.node_instances[3]];
    const g = graphFor('scale', { scalable_entity_name: 'host', delta: -1 }, plan, {
      modification: { id: 'm2', added: [], removed },
    });
    const l = run(start(g));
    assert.equal(l.state.status, 'terminated');
    assert.ok(before(l.trace, 'app_1->db_2.unlink[source]', 'db_2.stop'));
    assert.ok(before(l.trace, 'db_2.delete', 'host_2.stop'));
    assert.ok(!l.dispatched.some((d) => d.startsWith('host_1') || d === 'app_1.stop'));
    assert.deepEqual(l.nodeStates.get('host_2')?.at(-1), 'deleted');
  });

  it('delta 0 is a no-op', () => {
    const g = graphFor('scale', { scalable_entity_name: 'host', delta: 0 });
    assert.equal(g.operations.length, 0);
  });
});

describe('deployment environment', () => {
  it('create/delete are local manager-side steps', () => {
    const plan = { ...fixturePlan(), deployment_plugins_to_install: [{ name: 'p' }] };
    const c = graphFor('create_deployment_environment', {}, plan);
    assert.deepEqual(c.operations.map(label), [
      'deployment_environment.install_plugins',
      'deployment_environment.create_workdir',
    ]);
    assert.deepEqual(c.operations[1].dependencies, [c.operations[0].id]);
    const d = graphFor('delete_deployment_environment', {}, fixturePlan());
    assert.deepEqual(d.operations.map(label), [
      'deployment_environment.delete_workdir',
      'deployment_environment.delete_logs',
    ]);
    const l = run(start(c));
    assert.equal(l.state.status, 'terminated');
  });
});
