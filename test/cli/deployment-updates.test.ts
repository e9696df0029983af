// `cfy deployments update|history|get-update` as a child process against a manager process: a
// preview (5.1's sections), an update that adds a node and follows the `update` execution to its
// end, the history, and a bad call that is one line.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Cfy, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

const OP = '{implementation: scripts/op.sh, executor: central_deployment_agent}';
const bp = (extra: string) => `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
node_templates:
  a:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}}
${extra}`;
const B = `  b:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle: {create: ${OP}}
    relationships: [{type: cloudify.relationships.depends_on, target: a}]
`;

describe('cfy deployments update against a real manager', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  const dir = (name: string, text: string) => {
    const d = join(cfy.workdir, name);
    mkdirSync(join(d, 'scripts'), { recursive: true });
    writeFileSync(join(d, 'blueprint.yaml'), text);
    writeFileSync(join(d, 'scripts/op.sh'), '#!/bin/sh\nctx logger info "op $(ctx node id)"\n');
    return join(d, 'blueprint.yaml');
  };
  before(async () => {
    m = await startManager();
    assert.equal((await cfy(useArgs(m.port))).code, 0);
    for (const [id, text] of [
      ['one', bp('')],
      ['two', bp(B)],
    ]) {
      const r = await cfy(['blueprints', 'upload', dir(id, text), '-b', id]);
      assert.equal(r.code, 0, r.stderr);
    }
    const r = await cfy(['install', '-b', 'one', '-d', 'dep']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('--preview: the update row, inputs, steps and the nodes to install', async () => {
    const r = await cfy(['deployments', 'update', 'dep', '-b', 'two', '--preview']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Updating deployment dep, using blueprint two/);
    assert.match(r.stdout, /Deployment Update:/);
    assert.match(r.stdout, /\| +add +\|/);
    assert.match(r.stdout, /Installed nodes:\n\t- b/);
    assert.match(r.stdout, /Expicitly given nodes to reinstall:/);
    const j = json(await cfy(['deployments', 'update', 'dep', '-b', 'two', '--preview', '--json']));
    assert.equal(j.state, 'preview');
    assert.deepEqual(j.installed_nodes, ['b']);
  });

  test('update: follows the update execution; history and get-update list it', {
    timeout: 120_000,
  }, async () => {
    const r = await cfy(['deployments', 'update', 'dep', '-b', 'two']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Starting 'update' workflow execution/);
    assert.match(r.stdout, /Finished executing workflow 'update' on deployment 'dep'/);
    const m1 = /Successfully updated deployment dep\. Deployment update id: (\S+)\. Execution id: (\S+)/.exec(
      r.stdout,
    );
    assert.ok(m1, r.stdout);
    const h = json(await cfy(['deployments', 'history', '-d', 'dep', '--json']));
    assert.equal(h.length, 1);
    assert.equal(h[0].state, 'successful');
    const g = await cfy(['deployments', 'get-update', m1[1]!]);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /successful/);
    const ni = json(await cfy(['node-instances', 'list', '-d', 'dep', '--json']));
    assert.ok(ni.some((i: any) => i.node_id === 'b' && i.state === 'started'));
  });

  test('no blueprint and no inputs: one line', async () => {
    const r = await cfy(['deployments', 'update', 'dep']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.split('\n')[0]!, /Must supply either a blueprint/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });
});
