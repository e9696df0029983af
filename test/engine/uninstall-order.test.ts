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

  it('skips the stop part for configured instances and everything for uninitialized ones', () => {
    const plan = installed();
    plan.node_instances[0].state = 'configured';
    plan.node_instances[1].state = 'uninitialized';
    const l = run(start(graphFor('uninstall', {}, plan)));
    assert.deepEqual(l.nodeStates.get('host_1'), ['deleting', 'deleted']);
    assert.equal(l.nodeStates.get('host_2'), undefined);
    assert.ok(!l.dispatched.includes('host_1.stop'));
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
