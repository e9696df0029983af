// Runtime functions in operation inputs and in outputs/capabilities: get_attribute, get_secret
// (decrypted) and get_capability of another deployment, evaluated by the DSL evaluator at run time.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { API, createDeployment, runWorkflow, uploadBlueprint } from './helpers.js';

const SET_SH = `#!/bin/bash
set -e
for kv in $PAIRS; do
  k=\${kv%%=*}; v=\${kv#*=}
  ctx instance runtime-properties "$k" "\${!v}"
done
`;

const HEADER = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml
`;

const PROVIDER = `${HEADER}node_templates:
  p:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: scripts/set.sh
          inputs: {PAIRS: ip=IP, IP: 10.0.0.7}
capabilities:
  url:
    value: {concat: ['http://', {get_attribute: [p, ip]}, ':80']}
`;

const CONSUMER = `${HEADER}node_templates:
  c:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: scripts/set.sh
          inputs:
            PAIRS: got_secret=SECRET got_cap=CAP
            SECRET: {get_secret: db_password}
            CAP: {get_capability: [provider, url]}
        configure:
          implementation: scripts/set.sh
          inputs:
            PAIRS: mine=MINE
            MINE: {get_attribute: [SELF, got_cap]}
outputs:
  password:
    value: {get_secret: db_password}
  seen:
    value: {get_attribute: [c, mine]}
`;

forEachDriver('runtime functions', (fx) => {
  let m: TestManager;
  let root: string;
  before(async () => {
    m = await startTestManager(fx);
    root = mkdtempSync(join(tmpdir(), 'stratus-rt-'));
    mkdirSync(join(root, 'm'));
  });
  after(async () => {
    await m?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('evaluates get_secret, get_capability and get_attribute in inputs and outputs', {
    timeout: 120_000,
  }, async () => {
    const s = await m.call({
      method: 'PUT',
      url: `${API}/secrets/db_password`,
      payload: { value: 'hunter2' },
    });
    assert.ok(s.statusCode < 300, s.body);
    await uploadBlueprint(m, 'prov', { 'blueprint.yaml': PROVIDER, 'scripts/set.sh': SET_SH });
    await uploadBlueprint(m, 'cons', { 'blueprint.yaml': CONSUMER, 'scripts/set.sh': SET_SH });
    await createDeployment(m, 'provider', 'prov');
    assert.equal((await runWorkflow(m, 'provider', 'install')).status, 'terminated');
    const caps = (await m.call({ method: 'GET', url: `${API}/deployments/provider/capabilities` })).json();
    assert.deepEqual(caps.capabilities, { url: 'http://10.0.0.7:80' });

    await createDeployment(m, 'consumer', 'cons');
    const ex = await runWorkflow(m, 'consumer', 'install');
    assert.equal(ex.status, 'terminated', ex.error);
    const [c] = (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=consumer` })).json()
      .items;
    assert.equal(c.runtime_properties.got_secret, 'hunter2');
    assert.equal(c.runtime_properties.got_cap, 'http://10.0.0.7:80');
    assert.equal(c.runtime_properties.mine, 'http://10.0.0.7:80');
    const outs = (await m.call({ method: 'GET', url: `${API}/deployments/consumer/outputs` })).json();
    assert.deepEqual(outs.outputs, { password: 'hunter2', seen: 'http://10.0.0.7:80' });
  });
});
