// The "Done when" journey over REST on the all-in-one manager (worker in process), on both
// drivers: upload, create deployment, install, outputs (get_attribute), uninstall, delete, with the
// event order checked against the partial orders of dsl-and-workflows.md §3.2–3.4.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before as beforeAll, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { JOURNEY_FILES } from './fixtures.js';
import { API, before, createDeployment, events, runWorkflow, until, uploadBlueprint } from './helpers.js';

forEachDriver('install/uninstall journey over REST', (fx) => {
  let m: TestManager;
  let markers: string;
  beforeAll(async () => {
    m = await startTestManager(fx, {}, undefined);
    markers = mkdtempSync(join(tmpdir(), 'stratus-markers-'));
  });
  after(async () => {
    await m?.close();
    rmSync(markers, { recursive: true, force: true });
  });

  it('installs, evaluates outputs, uninstalls and deletes, in the documented order', {
    timeout: 180_000,
  }, async () => {
    await uploadBlueprint(m, 'journey', JOURNEY_FILES);
    await createDeployment(m, 'j1', 'journey', { marker_dir: markers });
    const nis = (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=j1` })).json()
      .items as any[];
    const of = (node: string) => nis.filter((i) => i.node_id === node).map((i) => i.id as string);
    const hosts = of('host');
    const dbs = of('db');
    const [app] = of('app');
    assert.equal(hosts.length, 2);
    assert.equal(dbs.length, 2);

    const t0 = Date.now();
    const install = await runWorkflow(m, 'j1', 'install', {}, 120_000);
    if (process.env.STRATUS_TEST_TIMING) console.error('install ms', Date.now() - t0);
    assert.equal(install.status, 'terminated', install.error);
    assert.equal(install.finished_operations, install.total_operations);
    assert.ok(install.total_operations > 0);
    const evs = await events(m, install.id);
    const types = evs.map((e) => e.event_type);
    assert.equal(types[0], 'workflow_started');
    assert.equal(types[types.length - 1], 'workflow_succeeded');
    for (const t of ['sending_task', 'task_started', 'task_succeeded', 'workflow_node_event']) {
      assert.ok(types.includes(t), `no ${t} event`);
    }
    // §3.2: per instance create → configure → start; §3.3: the target's whole install first.
    for (const h of hosts) {
      before(evs, [h, 'create'], [h, 'configure']);
      before(evs, [h, 'configure'], [h, 'start']);
    }
    for (const d of dbs) {
      const host = nis.find((i) => i.id === d).host_id as string;
      before(evs, [host, 'start'], [d, 'create']);
      before(evs, [d, 'create'], [d, 'configure']);
      before(evs, [d, 'configure'], [d, 'start']);
      before(evs, [d, 'start'], [app, 'create']);
    }
    before(evs, [app, 'create'], [app, 'start']);
    before(evs, [app, 'start'], [app, 'establish']);
    const establishes = evs.filter(
      (e) => e.event_type === 'task_succeeded' && e.operation?.endsWith('establish'),
    );
    assert.equal(establishes.length, 4, 'source and target side for each of the 2 relationship instances');
    const logs = await events(m, install.id, 'cloudify_log');
    assert.ok(
      logs.some((l) => l.level === 'info' && /^create of host_/.test(l.message)),
      'ctx logger lines stored',
    );

    const states = (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=j1` })).json()
      .items as any[];
    assert.ok(
      states.every((i) => i.state === 'started'),
      JSON.stringify(states.map((i) => i.state)),
    );
    const appInst = states.find((i) => i.id === app);
    assert.deepEqual(appInst.runtime_properties.nested, { deep: { a: [1, 2] } });
    assert.equal(appInst.runtime_properties.ep, `http://${app}:8080/`);
    assert.match(appInst.runtime_properties.db_seen, /^db-of-db_/);

    const outputs = (await m.call({ method: 'GET', url: `${API}/deployments/j1/outputs` })).json();
    assert.equal(outputs.outputs.endpoint, `http://${app}:8080/`);
    assert.match(outputs.outputs.app_db, /^db-of-db_/);
    assert.deepEqual(outputs.outputs.hosts, ['start', 'start']);

    const uninstall = await runWorkflow(m, 'j1', 'uninstall', {}, 120_000);
    assert.equal(uninstall.status, 'terminated', uninstall.error);
    const uevs = await events(m, uninstall.id);
    // §3.4: sources uninstall before their targets.
    before(uevs, [app, 'stop'], [app, 'unlink']);
    before(uevs, [app, 'unlink'], [app, 'delete']);
    for (const d of dbs) {
      const host = nis.find((i) => i.id === d).host_id as string;
      before(uevs, [app, 'delete'], [d, 'stop']);
      before(uevs, [d, 'stop'], [d, 'delete']);
      before(uevs, [d, 'delete'], [host, 'stop']);
    }
    for (const h of hosts) before(uevs, [h, 'stop'], [h, 'delete']);
    const after_ = (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=j1` })).json()
      .items as any[];
    assert.ok(after_.every((i) => i.state === 'deleted'));

    // every operation ran exactly once
    for (const f of readdirSync(markers)) {
      assert.equal(
        readFileSync(join(markers, f), 'utf8').trim().split('\n').length,
        1,
        `${f} ran more than once`,
      );
    }

    const del = await m.call({ method: 'DELETE', url: `${API}/deployments/j1` });
    assert.ok(del.statusCode < 300, del.body);
    await until(
      async () => (await m.call({ method: 'GET', url: `${API}/deployments/j1` })).statusCode,
      (c) => c === 404,
      30_000,
      'deployment deleted',
    );
  });
});
