// The deployment update's pure parts: the plan diff (5.1.2 step extractor's steps, ids and order)
// and the `update` workflow's graph order (uninstall removed → install added → reinstall → finalize).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DiffPlan, extractUpdateSteps, modifiedEntityIds } from '../../src/engine/index.js';
import { before, fixturePlan, graphFor, lifecycleOps, run, start } from './helpers.js';

const ids = (steps: { action: string; entity_type: string; entity_id: string }[]) =>
  steps.map((s) => `${s.action} ${s.entity_type} ${s.entity_id}`);

const rel = (target: string, type = 'cloudify.relationships.connected_to') => ({
  type,
  target_id: target,
  type_hierarchy: [type],
});

describe('deployment update steps (5.1.2 step extractor)', () => {
  const from: DiffPlan = {
    description: 'one',
    nodes: {
      vm: { type: 'T', properties: { a: 1, gone: 2 }, operations: { 'i.create': { operation: 'x' } } },
      app: { type: 'T', relationships: [rel('vm'), rel('db')] },
      db: { type: 'T' },
      old: { type: 'T' },
    },
    outputs: { o1: { value: 1 }, o2: { value: 2 } },
    workflows: { w: { operation: 'a' } },
    groups: { g: { members: ['vm', 'app'] } },
  };
  const to: DiffPlan = {
    description: 'two',
    nodes: {
      vm: {
        type: 'T',
        properties: { a: 2, b: 1 },
        operations: { 'i.create': { operation: 'y' }, 'i.start': {} },
      },
      app: { type: 'T', relationships: [rel('db'), rel('vm')] },
      db: { type: 'T' },
      n2: { type: 'T', relationships: [rel('n1')] },
      n1: { type: 'T' },
    },
    outputs: { o1: { value: 1 }, o3: { value: 3 } },
    workflows: { w: { operation: 'b' } },
    groups: { g: { members: ['app', 'vm'] } },
  };
  const { supported, unsupported } = extractUpdateSteps(from, to);

  it('names each change as 5.1 does; remove < add < modify, added nodes targets first, else as found', () => {
    assert.deepEqual(unsupported, []);
    assert.deepEqual(ids(supported), [
      'remove property nodes:vm:properties:gone',
      'remove node nodes:old',
      'remove output outputs:o2',
      'add operation nodes:vm:operations:i.start',
      'add property nodes:vm:properties:b',
      'add node nodes:n1',
      'add node nodes:n2',
      'add output outputs:o3',
      'modify description description',
      'modify operation nodes:vm:operations:i.create',
      'modify property nodes:vm:properties:a',
      'modify relationship nodes:app:relationships:[1]:[0]',
      'modify relationship nodes:app:relationships:[0]:[1]',
      'modify workflow workflows:w',
    ]);
  });

  it('orders added nodes targets first (topology_order)', () => {
    const n1 = supported.find((s) => s.entity_id === 'nodes:n1')!;
    const n2 = supported.find((s) => s.entity_id === 'nodes:n2')!;
    assert.ok(n1.topology_order > n2.topology_order);
  });

  it('a changed node type or host is unsupported; a group change too', () => {
    const r = extractUpdateSteps(
      { nodes: { vm: { type: 'A' } }, groups: { g: { members: ['vm'] } } },
      { nodes: { vm: { type: 'B' } }, groups: { g: { members: ['vm'], policies: {} } } },
    );
    assert.deepEqual(ids(r.unsupported), ['modify node nodes:vm', 'modify group groups:g']);
    assert.deepEqual(r.supported, []);
  });

  it('modified_entity_ids groups entity ids by kind', () => {
    const m = modifiedEntityIds(supported);
    assert.deepEqual(m.node, ['old', 'n1', 'n2']);
    assert.ok(m.property.includes('nodes:vm:properties:a'));
    assert.deepEqual(m.description, ['description']);
  });
});

describe('update workflow order', () => {
  const plan = fixturePlan();
  plan.nodes.push(
    { id: 'old', type: 'T', type_hierarchy: ['T'], operations: lifecycleOps('old'), relationships: [] },
    { id: 'new', type: 'T', type_hierarchy: ['T'], operations: lifecycleOps('new'), relationships: [] },
  );
  for (const i of plan.node_instances) i.state = 'started';
  plan.node_instances.push(
    { id: 'old_1', node_id: 'old', relationships: [], state: 'started' },
    { id: 'new_1', node_id: 'new', relationships: [], state: 'uninitialized' },
  );
  const params = {
    update_id: 'u1',
    added_instance_ids: ['new_1'],
    removed_instance_ids: ['old_1'],
    node_instances_to_reinstall: ['app_1'],
  };

  it('uninstalls removed, then installs added, then reinstalls, then finalizes', () => {
    const log = run(start(graphFor('update', params, structuredClone(plan))));
    assert.equal(log.state.status, 'terminated');
    assert.ok(before(log.trace, 'old_1.delete', 'new_1.create'));
    assert.ok(before(log.trace, 'new_1.start', 'app_1.stop'));
    assert.ok(before(log.trace, 'app_1.delete', 'app_1.create'));
    assert.equal(log.dispatched.at(-1), 'deployment_update.finalize');
    assert.ok(!log.dispatched.some((l) => l.startsWith('db_1.') || l.startsWith('host_1.')));
  });

  it('install_first installs before uninstalling; skip_install and skip_uninstall leave them out', () => {
    const first = run(start(graphFor('update', { ...params, install_first: true }, structuredClone(plan))));
    assert.ok(before(first.trace, 'new_1.start', 'old_1.stop'));
    const skip = run(
      start(
        graphFor('update', { ...params, skip_install: true, skip_uninstall: true }, structuredClone(plan)),
      ),
    );
    assert.ok(!skip.dispatched.some((l) => l.startsWith('new_1') || l.startsWith('old_1')));
    assert.ok(skip.dispatched.includes('app_1.create'));
  });

  it('relationships added or removed between kept instances: unlink first, establish after the install', () => {
    const conn = 'cloudify.relationships.connected_to';
    const log = run(
      start(
        graphFor(
          'update',
          {
            ...params,
            unlinked_relationships: [{ source_id: 'app_1', target_id: 'db_2', type: conn }],
            established_relationships: [{ source_id: 'app_1', target_id: 'db_1', type: conn }],
          },
          structuredClone(plan),
        ),
      ),
    );
    assert.equal(log.state.status, 'terminated');
    assert.ok(before(log.trace, 'app_1->db_2.unlink[source]', 'old_1.stop'));
    assert.ok(before(log.trace, 'app_1->db_2.unlink[source]', 'app_1->db_2.unlink[target]'));
    assert.ok(before(log.trace, 'new_1.start', 'app_1->db_1.establish[source]'));
    assert.ok(before(log.trace, 'app_1->db_1.establish[target]', 'app_1.stop'));
  });
});
