// prepareDeploymentPlan, modifyDeployment and the runtime evaluator on one small blueprint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  evaluateRuntimeFunctions,
  modifyDeployment,
  parseBlueprint,
  prepareDeploymentPlan,
  type RuntimeContext,
} from '../../src/dsl/index.js';

const BP = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
inputs:
  port: {type: integer, default: 8080}
node_templates:
  vm:
    type: cloudify.nodes.Compute
    capabilities: {scalable: {properties: {default_instances: 2}}}
  app:
    type: cloudify.nodes.WebServer
    properties: {port: {get_input: port}}
    relationships: [{type: cloudify.relationships.contained_in, target: vm}]
    interfaces:
      cloudify.interfaces.lifecycle:
        start: {implementation: scripts/start.sh, inputs: {url: {concat: ['http://', {get_attribute: [vm, ip]}]}}}
`;

let n = 0;
const ids = (p: string) => `${p}_${String(++n).padStart(6, '0')}`;
const plan = parseBlueprint({
  mainFile: 'b.yaml',
  resolver: { read: (p) => (p === 'b.yaml' ? BP : undefined) },
});

test('deployment plan expands containment and resolves static functions', () => {
  const dp = prepareDeploymentPlan(plan, { port: 9000 }, { idGenerator: ids });
  assert.equal(dp.node_instances.length, 4);
  const app = dp.nodes.find((x: any) => x.name === 'app');
  assert.equal(app.properties.port, 9000);
  assert.equal(app.host_id, 'vm');
  assert.equal(app.operations['cloudify.interfaces.lifecycle.start'].plugin, 'script');
  assert.equal(app.operations['cloudify.interfaces.lifecycle.start'].has_intrinsic_functions, true);
  for (const i of dp.node_instances.filter((x) => x.node_id === 'app')) assert.match(i.host_id!, /^vm_/);
});

test('random ids look like <node>_<6 [a-z0-9]>', () => {
  const dp = prepareDeploymentPlan(plan, {});
  for (const i of dp.node_instances) assert.match(i.id, new RegExp(`^${i.node_id}_[a-z0-9]{6}$`));
});

test('scale out keeps existing ids and adds the contained instances', () => {
  const dp = prepareDeploymentPlan(plan, {}, { idGenerator: ids });
  const r = modifyDeployment(dp, dp.node_instances, { vm: { instances: 3 } }, ids);
  assert.equal(r.node_instances.length, 6);
  assert.equal(r.added_and_related.length, 2);
  assert.equal(r.removed_and_related.length, 0);
  const back = modifyDeployment(dp, r.node_instances, { vm: { instances: 1 } }, ids);
  assert.equal(back.removed_and_related.length, 4);
});

test('runtime evaluation of get_attribute through the RuntimeContext port', () => {
  const ctx: RuntimeContext = {
    inputs: {},
    nodeProperties: () => ({}),
    nodeInstance: (id) =>
      id === 'vm_1' ? { id, node_id: 'vm', runtime_properties: { ip: '10.0.0.1' } } : undefined,
    nodeInstances: (node) =>
      node === 'vm' ? [{ id: 'vm_1', node_id: 'vm', runtime_properties: { ip: '10.0.0.1' } }] : [],
    secret: (name) => (name === 'pw' ? '{"a": 1}' : undefined),
  };
  const v = evaluateRuntimeFunctions({ concat: ['http://', { get_attribute: ['vm', 'ip'] }] }, ctx, {
    self: 'vm_1',
  });
  assert.equal(v, 'http://10.0.0.1');
  assert.equal(evaluateRuntimeFunctions({ get_secret: ['pw', 'a'] }, ctx), 1);
});
