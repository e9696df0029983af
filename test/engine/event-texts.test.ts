// The node-instance event texts and their order, pinned against a run of Cloudify 5.1.2's own
// local workflow engine (cloudify-common 5.1.2, cloudify/plugins/lifecycle.py) on this blueprint:
// the per-instance sequences below are what that run printed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBlueprint, prepareDeploymentPlan } from '../../src/dsl/index.js';
import type { EngineEvent, PlanNode, PlanNodeInstance } from '../../src/engine/index.js';
import { before, graphFor, run, start } from './helpers.js';

const OP = '{implementation: scripts/op.sh, executor: central_deployment_agent}';
const BP = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
node_templates:
  host:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, configure: ${OP}, start: ${OP}, stop: ${OP}, delete: ${OP}}
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}}
  app:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, start: ${OP}}
    relationships:
      - {type: cloudify.relationships.contained_in, target: host}
      - type: cloudify.relationships.connected_to
        target: db
        source_interfaces:
          cloudify.interfaces.relationship_lifecycle:
            {preconfigure: ${OP}, postconfigure: ${OP}, establish: ${OP}, unlink: ${OP}}
        target_interfaces:
          cloudify.interfaces.relationship_lifecycle: {establish: ${OP}, unlink: ${OP}}
  empty:
    type: cloudify.nodes.Root
`;

const INSTALL: Record<string, string[]> = {
  empty: ['Node instance started (nothing to do)'],
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
  host: [
    'Validating node instance before creation: nothing to do',
    'Precreating node instance: nothing to do',
    'Creating node instance',
    'Node instance created',
    'Configuring node instance',
    'Node instance configured',
    'Starting node instance',
    'Poststarting node instance: nothing to do',
    'Node instance started',
  ],
  app: [
    'Validating node instance before creation: nothing to do',
    'Precreating node instance: nothing to do',
    'Creating node instance',
    'Node instance created',
    'Pre-configuring relationships',
    'Relationships pre-configured',
    'Configuring node instance: nothing to do',
    'Post-configuring relationships',
    'Relationships post-configured',
    'Starting node instance',
    'Poststarting node instance: nothing to do',
    'Establishing relationships',
    'Relationships established',
    'Node instance started',
  ],
};

const UNINSTALL: Record<string, string[]> = {
  empty: [
    'Stopping node instance',
    'Validating node instance after deletion: nothing to do',
    'Stopped node instance: nothing to do',
    'Deleting node instance: nothing to do',
    'Deleted node instance',
  ],
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
    'Stopped node instance: nothing to do',
    'Deleting node instance: nothing to do',
    'Deleted node instance',
  ],
  host: [
    'Stopping node instance',
    'Validating node instance after deletion: nothing to do',
    'Stopped node instance',
    'Deleting node instance',
    'Deleted node instance',
  ],
};

/** The deployment plan our DSL makes of BP: every operation types.yaml declares is in `operations`. */
function plan(): { nodes: PlanNode[]; node_instances: PlanNodeInstance[] } {
  const parsed = parseBlueprint({
    mainFile: 'b.yaml',
    resolver: { read: (p: string) => (p === 'b.yaml' ? BP : undefined) },
  });
  let n = 0;
  const dp = prepareDeploymentPlan(parsed, {}, { idGenerator: (p: string) => `${p}_${++n}` });
  return dp as unknown as { nodes: PlanNode[]; node_instances: PlanNodeInstance[] };
}

const nodeEvents = (events: EngineEvent[]) => events.filter((e) => e.event_type === 'workflow_node_event');
const nodeOf = (e: EngineEvent) => e.context.node_id ?? '';
const textsOf = (events: EngineEvent[], node: string) =>
  nodeEvents(events)
    .filter((e) => nodeOf(e) === node)
    .map((e) => e.message.text);
/** Index of the first (or last) event of `node` with `text`. */
const at = (events: EngineEvent[], node: string, text: string, last = false) => {
  const hits = nodeEvents(events)
    .map((e, k) => (nodeOf(e) === node && e.message.text === text ? k : -1))
    .filter((k) => k >= 0);
  const i = hits.length ? hits[last ? hits.length - 1 : 0] : -1;
  assert.ok(i >= 0, `${node}: ${text}`);
  return i;
};

describe('event texts of install and uninstall, as Cloudify 5.1.2 sends them', () => {
  const p = plan();
  const install = run(start(graphFor('install', {}, p)));
  for (const i of p.node_instances) i.state = 'started';
  const uninstall = run(start(graphFor('uninstall', {}, p)));

  it('install: each instance sends exactly 5.1.2’s texts in order', () => {
    assert.equal(install.state.status, 'terminated');
    for (const [node, texts] of Object.entries(INSTALL)) {
      assert.deepEqual(textsOf(install.events, node), texts, node);
    }
  });

  it('install: targets are started before the source begins', () => {
    const appFirst = at(install.events, 'app', INSTALL.app[0]);
    assert.ok(at(install.events, 'host', 'Node instance started') < appFirst);
    assert.ok(at(install.events, 'db', 'Node instance started') < appFirst);
    const id = (node: string) => p.node_instances.find((i) => i.node_id === node)!.id;
    const [app, db] = [id('app'), id('db')];
    assert.ok(before(install.trace, `${app}.create`, `${app}->${db}.preconfigure[source]`));
    assert.ok(before(install.trace, `${app}->${db}.postconfigure[source]`, `${app}.start`));
    assert.ok(before(install.trace, `${app}.start`, `${app}->${db}.establish[target]`));
  });

  it('uninstall: each instance sends exactly 5.1.2’s texts in order', () => {
    assert.equal(uninstall.state.status, 'terminated');
    for (const [node, texts] of Object.entries(UNINSTALL)) {
      assert.deepEqual(textsOf(uninstall.events, node), texts, node);
    }
  });

  it('uninstall: the source is deleted before its targets stop', () => {
    const appDeleted = at(uninstall.events, 'app', 'Deleted node instance', true);
    assert.ok(appDeleted < at(uninstall.events, 'host', 'Stopping node instance'));
    assert.ok(appDeleted < at(uninstall.events, 'db', 'Stopping node instance'));
  });

  it('workflow and task events keep Cloudify’s texts', () => {
    const wf = install.events.filter(
      (e) => e.event_type.startsWith('workflow_') && e.event_type !== 'workflow_node_event',
    );
    assert.deepEqual(
      wf.map((e) => e.message.text),
      ["Starting 'install' workflow execution", "'install' workflow execution succeeded"],
    );
    const task = install.events.filter((e) => e.context.operation === 'cloudify.interfaces.lifecycle.create');
    assert.deepEqual(
      task.filter((e) => e.context.node_id === 'host').map((e) => e.message.text),
      [
        "Sending task 'script_runner.tasks.run'",
        "Task started 'script_runner.tasks.run'",
        "Task succeeded 'script_runner.tasks.run'",
      ],
    );
  });
});
