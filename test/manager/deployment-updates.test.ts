// Deployment updates over REST with the in-process worker running the scripts: a preview (nothing
// stored), an update refused while an execution runs, an update that adds a node (connected to an
// existing one), removes one and modifies one (reinstalled), and a failing update that leaves the
// deployment as it was.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { API, createDeployment, runWorkflow, uploadBlueprint, waitExecution } from '../worker/helpers.js';

const OP = '{implementation: scripts/op.sh, executor: central_deployment_agent}';
const HEAD = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
node_types:
  Mod:
    derived_from: cloudify.nodes.Root
    properties: {port: {default: 0}}
node_templates:
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: ${OP}
        delete: ${OP}
        start: {implementation: scripts/slow.sh, executor: central_deployment_agent}
`;
const V1 = `${HEAD}  old:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, delete: ${OP}}
  mod:
    type: Mod
    properties: {port: 1}
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, delete: ${OP}}
outputs:
  port: {value: {get_property: [mod, port]}}
`;
const NEW_NODE = (create: string) => `  new:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${create}}
    relationships:
      - type: cloudify.relationships.connected_to
        target: db
        source_interfaces:
          cloudify.interfaces.relationship_lifecycle: {establish: ${OP}}
`;
const V2 = `${HEAD}  mod:
    type: Mod
    properties: {port: 2}
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}, delete: ${OP}}
${NEW_NODE(OP)}outputs:
  port: {value: {get_property: [mod, port]}}
`;
const BAD = '{implementation: scripts/fail.sh, executor: central_deployment_agent}';
const SCRIPTS = {
  'scripts/op.sh': '#!/bin/sh\nctx logger info "op $(ctx node id)"\n',
  'scripts/fail.sh': '#!/bin/sh\nctx abort-operation "it broke"\n',
  'scripts/slow.sh': '#!/bin/sh\nsleep 2\n',
};

const INPUTS_BP = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
inputs:
  greeting: {}
node_templates:
  n: {type: cloudify.nodes.Root}
outputs:
  said: {value: {get_input: greeting}}
`;

forEachDriver('deployment updates', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
    await uploadBlueprint(m, 'v1', { 'blueprint.yaml': V1, ...SCRIPTS });
    await uploadBlueprint(m, 'v2', { 'blueprint.yaml': V2, ...SCRIPTS });
    // v3: v1 with mod's port changed and a node whose create fails at once
    const v3 = V1.replace('outputs:', `${NEW_NODE(BAD)}outputs:`).replace('port: 1}', 'port: 3}');
    await uploadBlueprint(m, 'v3', { 'blueprint.yaml': v3, ...SCRIPTS });
    await uploadBlueprint(m, 'inp', { 'blueprint.yaml': INPUTS_BP, ...SCRIPTS });
    await createDeployment(m, 'i', 'inp', { greeting: 'hi' });
    await createDeployment(m, 'd', 'v1');
    const ex = await runWorkflow(m, 'd', 'install', {}, 60_000);
    assert.equal(ex.status, 'terminated', ex.error);
  });
  after(async () => m?.close());

  const initiate = (payload: Record<string, unknown>) =>
    m.call({ method: 'PUT', url: `${API}/deployment-updates/d/update/initiate`, payload });
  const nodes = async () =>
    ((await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=d` })).json().items as any[])
      .map((n) => n.id)
      .sort();
  const instances = async () =>
    (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=d` })).json().items as any[];
  const entities = (steps: any[]) => steps.map((s) => `${s.action} ${s.entity_type} ${s.entity_id}`);

  it('preview: the steps and nothing stored', async () => {
    const r = await initiate({ blueprint_id: 'v2', preview: true });
    assert.equal(r.statusCode, 200, r.body);
    const u = r.json();
    assert.equal(u.state, 'preview');
    assert.equal(u.id, null);
    assert.equal(u.old_blueprint_id, 'v1');
    assert.equal(u.new_blueprint_id, 'v2');
    const got = entities(u.steps);
    for (const s of [
      'add node nodes:new',
      'modify property nodes:mod:properties:port',
      'remove node nodes:old',
    ]) {
      assert.ok(got.includes(s), `${s} in ${JSON.stringify(got)}`);
    }
    assert.equal(got[0], 'remove node nodes:old');
    assert.equal(got.at(-1)?.startsWith('modify'), true);
    const list = (await m.call({ method: 'GET', url: `${API}/deployment-updates?deployment_id=d` })).json();
    assert.equal(list.metadata.pagination.total, 0);
    assert.deepEqual(await nodes(), ['db', 'mod', 'old']);
  });

  it('new inputs only: the same blueprint, the new inputs and outputs', { timeout: 60_000 }, async () => {
    const none = await m.call({
      method: 'PUT',
      url: `${API}/deployment-updates/i/update/initiate`,
      payload: {},
    });
    assert.equal(none.statusCode, 400);
    assert.match(none.json().message, /Must supply either the `blueprint_id` parameter, or new inputs/);
    const r = await m.call({
      method: 'PUT',
      url: `${API}/deployment-updates/i/update/initiate`,
      payload: { inputs: { greeting: 'yo' } },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().old_inputs, { greeting: 'hi' });
    assert.deepEqual(r.json().new_inputs, { greeting: 'yo' });
    const ex = await waitExecution(m, r.json().execution_id);
    assert.equal(ex.status, 'terminated', ex.error);
    const dep = (await m.call({ method: 'GET', url: `${API}/deployments/i` })).json();
    assert.deepEqual(dep.inputs, { greeting: 'yo' });
    assert.equal(dep.blueprint_id, 'inp');
    const out = (await m.call({ method: 'GET', url: `${API}/deployments/i/outputs` })).json();
    assert.equal(out.outputs.said, 'yo');
  });

  it('refused while an execution of the deployment runs, and nothing stored', {
    timeout: 60_000,
  }, async () => {
    const slow = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: {
        deployment_id: 'd',
        workflow_id: 'execute_operation',
        parameters: { operation: 'cloudify.interfaces.lifecycle.start', node_ids: ['db'] },
      },
    });
    assert.equal(slow.statusCode, 201, slow.body);
    const r = await initiate({ blueprint_id: 'v2' });
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error_code, 'existing_running_execution_error');
    await waitExecution(m, slow.json().id);
    const list = (await m.call({ method: 'GET', url: `${API}/deployment-updates?deployment_id=d` })).json();
    assert.equal(list.metadata.pagination.total, 0);
  });

  it('a failing update leaves the deployment as it was', { timeout: 90_000 }, async () => {
    const r = await initiate({ blueprint_id: 'v3' });
    assert.equal(r.statusCode, 200, r.body);
    const ex = await waitExecution(m, r.json().execution_id);
    assert.equal(ex.status, 'failed');
    const u = (await m.call({ method: 'GET', url: `${API}/deployment-updates/${r.json().id}` })).json();
    assert.equal(u.state, 'failed');
    assert.deepEqual(await nodes(), ['db', 'mod', 'old']);
    const dep = (await m.call({ method: 'GET', url: `${API}/deployments/d` })).json();
    assert.equal(dep.blueprint_id, 'v1');
    const mod = (await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=d&id=mod` })).json().items[0];
    assert.equal(mod.properties.port, 1);
  });

  it('adds, removes and reinstalls; the deployment takes the new plan', { timeout: 120_000 }, async () => {
    const before = await instances();
    const modId = before.find((i) => i.node_id === 'mod').id;
    const r = await initiate({ blueprint_id: 'v2' });
    assert.equal(r.statusCode, 200, r.body);
    const u = r.json();
    assert.equal(u.state, 'executing_workflow');
    assert.match(u.id, /^d-/);
    const ex = await waitExecution(m, u.execution_id, 90_000);
    assert.equal(ex.status, 'terminated', ex.error);
    assert.equal(ex.workflow_id, 'update');
    const done = (await m.call({ method: 'GET', url: `${API}/deployment-updates/${u.id}` })).json();
    assert.equal(done.state, 'successful');
    assert.deepEqual(await nodes(), ['db', 'mod', 'new']);
    const after = await instances();
    const added = after.find((i) => i.node_id === 'new');
    assert.equal(added.state, 'started');
    assert.equal(added.relationships[0].target_name, 'db');
    assert.equal(after.find((i) => i.node_id === 'mod').id, modId);
    const dep = (await m.call({ method: 'GET', url: `${API}/deployments/d` })).json();
    assert.equal(dep.blueprint_id, 'v2');
    const node = (await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=d&id=mod` })).json()
      .items[0];
    assert.equal(node.properties.port, 2);
    const evs = (
      await m.call({
        method: 'GET',
        url: `${API}/events?execution_id=${ex.id}&_size=1000&_sort=reported_timestamp`,
      })
    ).json().items as any[];
    // (by instance id: a removed node's events lose their node_name once the node is gone)
    const of = (e: any, node: string) => e.node_instance_id?.startsWith(`${node}_`);
    const text = (node: string) => evs.filter((e) => of(e, node)).map((e) => e.message);
    assert.ok(text('old').includes('Deleted node instance'), JSON.stringify(text('old')));
    assert.ok(text('new').includes('Node instance started'), JSON.stringify(text('new')));
    assert.ok(text('mod').includes('Deleted node instance') && text('mod').includes('Node instance started'));
    // the removed node was uninstalled before the added one was installed
    const idx = (node: string, t: string) => evs.findIndex((e) => of(e, node) && e.message === t);
    assert.ok(idx('old', 'Deleted node instance') < idx('new', 'Creating node instance'));
    const list = (
      await m.call({ method: 'GET', url: `${API}/deployment-updates?deployment_id=d&_sort=-created_at` })
    ).json();
    assert.equal(list.metadata.pagination.total, 2);
    assert.equal(list.items[0].id, u.id);
  });
});
