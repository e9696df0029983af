// GET /events of a real install and uninstall over REST (the in-process worker runs the scripts):
// the node-instance texts in Cloudify 5.1.2's order (cloudify-common lifecycle.py), and the exact
// key set of both item kinds, which the 5.1 CLI reads while it streams an execution.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { EVENT_KEYS, LOG_KEYS } from '../helpers/events.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { API, createDeployment, runWorkflow, uploadBlueprint } from '../worker/helpers.js';

const OP = '{implementation: scripts/op.sh, executor: central_deployment_agent}';
const BLUEPRINT = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
node_templates:
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, stop: ${OP}}
  app:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}}
    relationships:
      - type: cloudify.relationships.connected_to
        target: db
        source_interfaces:
          cloudify.interfaces.relationship_lifecycle: {establish: ${OP}, unlink: ${OP}}
`;
// ctx calls that answer nothing print nothing, as 5.1.2's ctx client: no empty `<out> ` log lines
const SCRIPT = '#!/bin/sh\nctx logger info "op done"\nctx instance runtime-properties seen yes\n';

const INSTALL = {
  db: [
    'Validating node instance before creation: nothing to do',
    'Precreating node instance: nothing to do',
    'Creating node instance',
    'Node instance created',
    'Configuring node instance: nothing to do',
    'Starting node instance: nothing to do',
    'Poststarting node instance: nothing to do',
    'Node instance started',
  ],
  app: [
    'Validating node instance before creation: nothing to do',
    'Precreating node instance: nothing to do',
    'Creating node instance',
    'Node instance created',
    'Configuring node instance: nothing to do',
    'Starting node instance: nothing to do',
    'Poststarting node instance: nothing to do',
    'Establishing relationships',
    'Relationships established',
    'Node instance started',
  ],
};
const UNINSTALL = {
  app: [
    'Stopping node instance',
    'Validating node instance after deletion: nothing to do',
    'Stopped node instance: nothing to do',
    'Unlinking relationships',
    'Relationships unlinked',
    'Deleting node instance: nothing to do',
    'Deleted node instance',
  ],
  db: [
    'Stopping node instance',
    'Validating node instance after deletion: nothing to do',
    'Stopped node instance',
    'Deleting node instance: nothing to do',
    'Deleted node instance',
  ],
};

forEachDriver('GET /events of install and uninstall', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
    await uploadBlueprint(m, 'ev', { 'blueprint.yaml': BLUEPRINT, 'scripts/op.sh': SCRIPT });
    await createDeployment(m, 'ev', 'ev');
  });
  after(async () => m?.close());

  /** Events and logs of the execution, as the 5.1 CLI asks for them. */
  const items = async (executionId: string) => {
    const r = await m.call({
      method: 'GET',
      url: `${API}/events?execution_id=${executionId}&_offset=0&_size=1000&type=cloudify_event&type=cloudify_log&_sort=reported_timestamp`,
    });
    assert.equal(r.statusCode, 200, r.body);
    return r.json().items as Record<string, any>[];
  };
  const texts = (evs: Record<string, any>[], node: string) =>
    evs.filter((e) => e.event_type === 'workflow_node_event' && e.node_name === node).map((e) => e.message);

  const check = async (workflow: string, expected: Record<string, string[]>) => {
    const ex = await runWorkflow(m, 'ev', workflow, {}, 60_000);
    assert.equal(ex.status, 'terminated', ex.error);
    const evs = await items(ex.id);
    for (const [node, list] of Object.entries(expected)) assert.deepEqual(texts(evs, node), list, node);
    const events = evs.filter((e) => e.type === 'cloudify_event');
    const logs = evs.filter((e) => e.type === 'cloudify_log');
    assert.ok(events.length > 0 && logs.length > 0);
    for (const e of events) assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS, JSON.stringify(e));
    for (const l of logs) {
      assert.deepEqual(Object.keys(l).sort(), LOG_KEYS, JSON.stringify(l));
      assert.equal(l.error_causes, null);
      assert.equal(l.message, 'op done');
    }
    // 5.1's times: reported_timestamp when the worker made the item (the order the CLI sorts by),
    // timestamp when the manager stored it
    for (const [i, e] of evs.entries()) {
      assert.ok(e.timestamp >= e.reported_timestamp, JSON.stringify(e));
      if (i > 0) assert.ok(e.reported_timestamp >= evs[i - 1].reported_timestamp, JSON.stringify(e));
    }
    assert.ok(new Set(evs.map((e) => e.reported_timestamp)).size > 1);
    assert.equal(events[0].message, `Starting '${workflow}' workflow execution`);
    assert.equal(events.at(-1)!.message, `'${workflow}' workflow execution succeeded`);
    return evs;
  };
  const index = (evs: Record<string, any>[], node: string, text: string) =>
    evs.findIndex((e) => e.node_name === node && e.message === text);

  it('install: 5.1.2 texts per instance, the target started before the source begins', {
    timeout: 90_000,
  }, async () => {
    const evs = await check('install', INSTALL);
    assert.ok(index(evs, 'db', 'Node instance started') < index(evs, 'app', INSTALL.app[0]));
    const create = evs.find((e) => e.event_type === 'task_succeeded' && e.node_name === 'db');
    assert.equal(create?.operation, 'cloudify.interfaces.lifecycle.create');
    assert.equal(create?.message, "Task succeeded 'script_runner.tasks.run'");
  });

  it('uninstall: 5.1.2 texts per instance, the source deleted before the target stops', {
    timeout: 90_000,
  }, async () => {
    const evs = await check('uninstall', UNINSTALL);
    assert.ok(index(evs, 'app', 'Deleted node instance') < index(evs, 'db', 'Stopping node instance'));
    const unlink = evs.find((e) => e.event_type === 'task_started' && e.source_id);
    assert.equal(unlink?.operation, 'cloudify.interfaces.relationship_lifecycle.unlink');
    assert.equal(unlink?.target_id?.startsWith('db_'), true);
  });
});
