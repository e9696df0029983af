import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { before, fixturePlan, graphFor, label, run, start } from './helpers.js';

const installed = () => {
  const plan = fixturePlan();
  for (const i of plan.node_instances) i.state = 'started';
  return plan;
};

describe('uninstall order (§3.4)', () => {
  const log = run(start(graphFor('uninstall', {}, installed())));

  it('ends terminated with every instance deleted', () => {
    assert.equal(log.state.status, 'terminated');
    for (const id of ['host_1', 'host_2', 'db_1', 'db_2', 'app_1']) {
      assert.deepEqual(log.nodeStates.get(id), ['stopping', 'stopped', 'deleting', 'deleted']);
    }
  });

  it('runs stop → unlink → delete on the source', () => {
    for (const db of ['db_1', 'db_2']) {
      for (const side of ['source', 'target']) {
        assert.ok(before(log.trace, 'app_1.stop', `app_1->${db}.unlink[${side}]`));
        assert.ok(before(log.trace, `app_1->${db}.unlink[${side}]`, 'app_1.delete'));
      }
    }
  });

  it('uninstalls a source fully before its targets (reverse of install)', () => {
    for (const db of ['db_1', 'db_2']) assert.ok(before(log.trace, 'app_1.delete', `${db}.stop`));
    assert.ok(before(log.trace, 'db_1.delete', 'host_1.stop'));
    assert.ok(before(log.trace, 'db_2.delete', 'host_2.stop'));
  });

  it('unlinks groups in reverse declaration order', () => {
    const g = graphFor('uninstall', {}, installed());
    const unlinks = g.operations.filter((o) => label(o).includes('unlink')).map(label);
    // db_2's group comes first when reversed; groups are by target *node*, so both are one group here
    assert.equal(unlinks.length, 4);
  });

  it('skips the stop part for stopped instances and stop and delete for uninitialized ones', () => {
    const plan = installed();
    plan.node_instances[0].state = 'stopped';
    plan.node_instances[1].state = 'uninitialized';
    plan.node_instances[2].state = 'configured';
    const l = run(start(graphFor('uninstall', {}, plan)));
    const texts = (id: string) =>
      l.events
        .filter((e) => e.event_type === 'workflow_node_event' && e.context.node_instance_id === id)
        .map((e) => e.message.text);
    assert.deepEqual(l.nodeStates.get('host_1'), ['deleting', 'deleted']);
    assert.ok(!l.dispatched.includes('host_1.stop'));
    assert.deepEqual(texts('host_1'), [
      'Validating node instance after deletion: nothing to do',
      'Stop: instance already stopped',
      'Deleting node instance',
      'Deleted node instance',
    ]);
    // lifecycle.py 5.1.2 still marks an uninitialized instance stopped, then deleted
    assert.deepEqual(l.nodeStates.get('host_2'), ['stopped', 'deleted']);
    assert.ok(!l.dispatched.some((d) => d.startsWith('host_2.')));
    assert.deepEqual(texts('host_2'), [
      'Validating node instance after deletion: nothing to do',
      'Stop: instance already uninitialized',
      'Delete: instance already uninitialized',
      'Deleted node instance',
    ]);
    // a configured instance is stopped like a started one in 5.1.2
    assert.deepEqual(l.nodeStates.get('db_1'), ['stopping', 'stopped', 'deleting', 'deleted']);
    assert.ok(l.dispatched.includes('db_1.stop'));
  });

  it('ignore_failure turns failures into events and carries on', () => {
    const l = run(start(graphFor('uninstall', { ignore_failure: true }, installed())), {
      decide: (lb) =>
        lb === 'db_1.stop' ? { recoverable: false, causeType: 'NonRecoverableError', message: 'boom' } : 'ok',
    });
    assert.equal(l.state.status, 'terminated');
    assert.ok(l.events.some((e) => e.message.text.startsWith('Ignoring task')));
    assert.deepEqual(l.nodeStates.get('db_1'), ['stopping', 'stopped', 'deleting', 'deleted']);
  });
});
