// The REST client without a terminal (style §6.18): typed calls against a manager built in-process
// (src/manager/create.ts + listen on 127.0.0.1:0), and Cloudify's error body mapped to data.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildArchive } from '../../src/cli/commands/blueprints/archive.js';
import { applyClusterNodes, isAllInOne } from '../../src/cli/commands/cluster/refresh.js';
import type { CloudifyClientError } from '../../src/cli/client/errors.js';
import { CloudifyClient } from '../../src/cli/client/index.js';
import { Transport } from '../../src/cli/client/transport.js';
import { newProfile } from '../../src/cli/profiles/store.js';
import { defaultConfig } from '../../src/manager/config.js';
import { createManager, type Manager } from '../../src/entry/manager.js';
import { ADMIN_PASSWORD, FIXTURES } from './helpers.js';

describe('CloudifyClient against an in-process manager', () => {
  let m: Manager;
  let dataDir: string;
  let client: CloudifyClient;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cfy-client-'));
    m = await createManager(defaultConfig({ dataDir, adminPassword: ADMIN_PASSWORD }));
    await m.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = m.app.server.address() as { port: number };
    client = new CloudifyClient(
      new Transport({
        nodes: [{ name: '127.0.0.1', host: '127.0.0.1', port, protocol: 'http' }],
        creds: { username: 'admin', password: ADMIN_PASSWORD, tenant: 'default_tenant' },
        cluster: false,
      }),
    );
  });
  after(async () => {
    await m?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('upload (multipart tar.gz), create, list: typed results with pagination', async () => {
    const archive = await buildArchive(join(FIXTURES, 'hello_world'), 'blueprint.yaml');
    const bp = await client.blueprints.upload('c-bp', archive, { applicationFileName: 'blueprint.yaml' });
    assert.equal(bp.id, 'c-bp');
    const dep = await client.deployments.create('c-dep', { blueprintId: 'c-bp', inputs: { count: 4 } });
    assert.equal(dep.blueprint_id, 'c-bp');
    const list = await client.deployments.list({ filters: { blueprint_id: 'c-bp' } });
    assert.deepEqual(
      list.items.map((d) => d.id),
      ['c-dep'],
    );
    assert.equal(list.metadata.pagination.total, 1);
    const outputs = await client.deployments.outputs('c-dep');
    assert.deepEqual(outputs.outputs, { message: 'hello' });
    const execs = await client.executions.list({ filters: { deployment_id: 'c-dep' } }, true);
    assert.ok(execs.items.some((e) => e.workflow_id === 'create_deployment_environment'));
  });

  test("Cloudify's error body becomes a CloudifyClientError with its error_code", async () => {
    await assert.rejects(client.deployments.get('nope'), (e: CloudifyClientError) => {
      assert.equal(e.status, 404);
      assert.equal(e.errorCode, 'not_found_error');
      assert.equal(e.message, 'Requested `Deployment` with ID `nope` was not found');
      return true;
    });
    await assert.rejects(
      client.executions.start({ deploymentId: 'c-dep', workflowId: 'nope' }),
      (e: CloudifyClientError) => e.status === 400,
    );
  });
});

describe('cluster profile refresh', () => {
  test('one manager, broker and DB on one host is all-in-one; more managers fill the profile', () => {
    const one = {
      managers: [{ hostname: 'm1', private_ip: '10.0.0.1', public_ip: '1.1.1.1' }],
      brokers: [{ name: 'b1', host: '10.0.0.1' }],
      dbs: [{ name: 'd1', host: '10.0.0.1' }],
    };
    assert.equal(isAllInOne(one), true);
    const two = { ...one, managers: [...one.managers, { hostname: 'm2', private_ip: '10.0.0.2' }] };
    assert.equal(isAllInOne(two), false);
    const p = newProfile('p', '1.1.1.1');
    p.cluster = { manager: [{ hostname: 'm2', host_ip: 'old', host_type: 'manager', cert: '/ca.pem' }] };
    p.last_good_manager = 'gone';
    assert.equal(applyClusterNodes(p, two), 4);
    assert.deepEqual(p.cluster.manager, [
      { hostname: 'm1', host_ip: '1.1.1.1', host_type: 'manager' },
      { hostname: 'm2', host_ip: '10.0.0.2', host_type: 'manager', cert: '/ca.pem' },
    ]);
    assert.equal(p.last_good_manager, null);
  });
});
