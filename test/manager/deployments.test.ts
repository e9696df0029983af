import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/store/port.js';
import { deploymentCreateWait } from '../../src/manager/routes/deployments.js';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const API = '/api/v3.1';
const PLAN = {
  description: 'a test blueprint',
  inputs: { size: { type: 'integer' }, name: { default: 'n' }, opt: { required: false } },
  workflows: {
    install: { operation: 'cloudify.plugins.workflows.install', plugin: 'default_workflows', parameters: {} },
  },
  // in the blueprint's order, not jsonb's (shorter keys first), as 5.1 shows them
  outputs: { endpoint: { value: 'http://x', description: 'where' }, url: { value: 'u' } },
  capabilities: { cap: { value: 42 }, a: { value: 1 } },
};

async function seedBlueprint(db: Db, id: string, state: string, plan: unknown) {
  const [t] = await db.query<{ id: number }>("SELECT id FROM tenants WHERE name = 'default_tenant'");
  const [u] = await db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
  await db.query(
    `INSERT INTO blueprints (id, _tenant_id, _creator_id, state, plan, main_file_name)
     VALUES ($1, $2, $3, $4, $5::text::json, 'bp.yaml')`,
    [id, t.id, u.id, state, plan === null ? null : JSON.stringify(plan)],
  );
}

forEachDriver('deployments', (fx) => {
  describe('without a worker', () => {
    let m: TestManager;
    before(async () => {
      m = await startTestManager(fx, {}, null);
      await seedBlueprint(m.db, 'bp', 'uploaded', PLAN);
      await seedBlueprint(m.db, 'bp-up', 'uploading', null);
      await seedBlueprint(m.db, 'bp-noplan', 'uploaded', null);
    });
    after(async () => m?.close());

    const put = (id: string, payload: unknown, qs = '') =>
      m.call({ method: 'PUT', url: `${API}/deployments/${id}${qs}`, payload: payload as object });

    test('create returns 201 at once with Cloudify fields and a pending system execution', async () => {
      const r = await put('d1', {
        blueprint_id: 'bp',
        inputs: { size: 3 },
        labels: [{ env: 'prod' }, { key: 'tier', value: 'web' }],
        display_name: 'First',
      });
      assert.equal(r.statusCode, 201, r.body);
      const d = r.json();
      assert.equal(d.id, 'd1');
      assert.equal(d.blueprint_id, 'bp');
      assert.equal(d.display_name, 'First');
      assert.equal(d.visibility, 'tenant');
      assert.equal(d.tenant_name, 'default_tenant');
      assert.equal(d.created_by, 'admin');
      assert.equal(d.description, 'a test blueprint');
      assert.deepEqual(d.inputs, { size: 3 });
      assert.deepEqual(
        d.labels.map((l: any) => [l.key, l.value]),
        [
          ['env', 'prod'],
          ['tier', 'web'],
        ],
      );
      assert.equal(d.workflows[0].name, 'install');
      assert.equal(d.installation_status, 'inactive');
      assert.match(d.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(d.latest_execution_status, 'pending');
      const ex = await m.call({ method: 'GET', url: `${API}/executions/${d.latest_execution_id}` });
      assert.equal(ex.json().workflow_id, 'create_deployment_environment');
      assert.equal(ex.json().is_system_workflow, true);
      assert.deepEqual(ex.json().parameters.inputs, { size: 3 });
      const [row] = await m.db.query<{ token: string }>('SELECT token FROM executions WHERE id = $1', [
        d.latest_execution_id,
      ]);
      assert.match(row.token, /^[0-9a-f]{64}$/);
    });

    test('create errors', async () => {
      let r = await put('x', { blueprint_id: 'nope' });
      assert.equal(r.statusCode, 404);
      r = await put('x', { blueprint_id: 'bp-up' });
      assert.equal(r.json().error_code, 'deployment_creation_error');
      r = await put('x', { blueprint_id: 'bp', inputs: { size: 1, bogus: 1 } });
      assert.equal(r.json().error_code, 'unknown_deployment_input_error');
      r = await put('x', { blueprint_id: 'bp', inputs: {} });
      assert.equal(r.json().error_code, 'missing_required_deployment_input_error');
      assert.match(r.json().message, /size/);
      r = await put('d1', { blueprint_id: 'bp', inputs: { size: 1 } });
      assert.equal(r.statusCode, 409);
      assert.equal(r.json().error_code, 'conflict_error');
      r = await put('x', {});
      assert.equal(r.statusCode, 400);
      r = await put('x', '{"blueprint_id": ');
      assert.equal(r.statusCode, 400);
      r = await m.call({
        method: 'PUT',
        url: `${API}/deployments/x`,
        payload: { blueprint_id: 'bp' },
        tenant: null,
      });
      assert.equal(r.statusCode, 403);
      r = await put('bad%20id', { blueprint_id: 'bp-noplan' });
      assert.equal(r.statusCode, 400);
      r = await put('d2', { blueprint_id: 'bp-noplan', inputs: { anything: 1 } }, '?private_resource=true');
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().visibility, 'private');
      const none = await m.db.query("SELECT 1 FROM deployments WHERE id = 'x'");
      assert.equal(none.length, 0, 'no partial write');
    });

    test('list, get, include, filters and errors', async () => {
      let r = await m.call({ method: 'GET', url: `${API}/deployments?_sort=-id` });
      assert.deepEqual(
        r.json().items.map((d: any) => d.id),
        ['d2', 'd1'],
      );
      r = await m.call({ method: 'GET', url: `${API}/deployments?blueprint_id=bp&_include=id,blueprint_id` });
      assert.deepEqual(r.json().items, [{ id: 'd1', blueprint_id: 'bp' }]);
      r = await m.call({ method: 'GET', url: `${API}/deployments?_search_name=firs` });
      assert.equal(r.json().items.length, 1);
      r = await m.call({ method: 'GET', url: `${API}/deployments/d1?_include=id,inputs` });
      assert.deepEqual(r.json(), { id: 'd1', inputs: { size: 3 } });
      r = await m.call({ method: 'GET', url: `${API}/deployments/nope` });
      assert.equal(r.statusCode, 404);
      assert.equal(r.json().message, 'Requested `Deployment` with ID `nope` was not found');
      r = await m.call({ method: 'GET', url: `${API}/deployments?colour=1` });
      assert.equal(r.json().error_code, 'bad_parameters_error');
      r = await m.call({ method: 'GET', url: `${API}/deployments?_sort=colour` });
      assert.equal(r.json().error_code, 'bad_parameters_error');
      r = await m.call({ method: 'GET', url: `${API}/deployments?_include=colour` });
      assert.equal(r.json().error_code, 'no_such_include_field_error');
      r = await m.call({ method: 'GET', url: `${API}/deployments?_size=10001` });
      assert.equal(r.statusCode, 400);
    });

    test('outputs, capabilities and the attribute PATCH', async () => {
      let r = await m.call({ method: 'GET', url: `${API}/deployments/d1/outputs` });
      assert.deepEqual(r.json(), { deployment_id: 'd1', outputs: { endpoint: 'http://x', url: 'u' } });
      assert.deepEqual(Object.keys(r.json().outputs), ['endpoint', 'url']);
      r = await m.call({ method: 'GET', url: `${API}/deployments/d1/capabilities` });
      assert.deepEqual(r.json(), { deployment_id: 'd1', capabilities: { cap: 42, a: 1 } });
      assert.deepEqual(Object.keys(r.json().capabilities), ['cap', 'a']);
      r = await m.call({ method: 'GET', url: `${API}/blueprints/bp` });
      assert.deepEqual(Object.keys(r.json().plan.inputs), ['size', 'name', 'opt']);
      r = await m.call({
        method: 'PATCH',
        url: `${API}/deployments/d1`,
        payload: {
          description: 'set by worker',
          inputs: { size: 3, name: 'n' },
          workflows: [
            { name: 'install', operation: 'op', parameters: { p: { default: 1 } } },
            { name: 'scale' },
          ],
          outputs: { zeta: { value: 2 }, o: { value: 1 } },
          scaling_groups: { g: { members: ['vm'] } },
          policy_types: {},
          labels: [{ env: 'dev' }],
        },
      });
      assert.equal(r.statusCode, 200, r.body);
      const d = r.json();
      assert.equal(d.description, 'set by worker');
      assert.deepEqual(
        d.workflows.map((w: any) => w.name),
        ['install', 'scale'],
      );
      assert.deepEqual(d.workflows[0].parameters, { p: { default: 1 } });
      assert.deepEqual(d.scaling_groups, { g: { members: ['vm'] } });
      assert.deepEqual(
        d.labels.map((l: any) => l.value),
        ['dev'],
      );
      r = await m.call({ method: 'GET', url: `${API}/deployments/d1/outputs` });
      assert.deepEqual(Object.entries(r.json().outputs), [
        ['zeta', 2],
        ['o', 1],
      ]);
      r = await m.call({ method: 'GET', url: `${API}/deployments/nope/outputs` });
      assert.equal(r.statusCode, 404);
      r = await m.call({ method: 'PATCH', url: `${API}/deployments/nope`, payload: { description: 'x' } });
      assert.equal(r.statusCode, 404);
    });

    test('delete: active execution blocks; then the row goes directly', async () => {
      let r = await m.call({ method: 'DELETE', url: `${API}/deployments/d1` });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error_code, 'dependent_exists_error');
      const d = (await m.call({ method: 'GET', url: `${API}/deployments/d1` })).json();
      await m.call({
        method: 'PATCH',
        url: `${API}/executions/${d.latest_execution_id}`,
        payload: { status: 'failed' },
      });
      await m.call({
        method: 'POST',
        url: `${API}/nodes`,
        payload: { deployment_id: 'd1', nodes: [{ id: 'vm', type: 't' }] },
      });
      await m.call({
        method: 'POST',
        url: `${API}/node-instances`,
        payload: { deployment_id: 'd1', node_instances: [{ id: 'vm_x', node_id: 'vm', state: 'started' }] },
      });
      r = await m.call({ method: 'DELETE', url: `${API}/deployments/d1` });
      assert.equal(r.json().error_code, 'dependent_exists_error');
      r = await m.call({ method: 'DELETE', url: `${API}/deployments/d1?force=true&delete_logs=true` });
      assert.equal(r.statusCode, 204);
      r = await m.call({ method: 'GET', url: `${API}/deployments/d1` });
      assert.equal(r.statusCode, 404);
      r = await m.call({ method: 'DELETE', url: `${API}/deployments/d1` });
      assert.equal(r.statusCode, 404);
    });
  });

  describe('with a worker', () => {
    let m: TestManager;
    let outcome: 'terminated' | 'failed' | 'never' = 'terminated';
    before(async () => {
      deploymentCreateWait.intervalMs = 10;
      m = await startTestManager(
        fx,
        {},
        {
          async dispatch(id) {
            if (outcome === 'never') return;
            const end = outcome;
            setTimeout(async () => {
              await m.ctx.executions.updateStatus(id, 'started');
              await m.ctx.executions.updateStatus(
                id,
                end,
                end === 'failed' ? 'Traceback\nRuntimeError: plan broke' : null,
              );
            }, 20);
          },
        },
      );
      await seedBlueprint(m.db, 'bp', 'uploaded', { inputs: {}, workflows: {} });
    });
    after(async () => {
      deploymentCreateWait.timeoutMs = 120_000;
      await m?.close();
    });

    test('sync create waits for create_deployment_environment', async () => {
      const r = await m.call({
        method: 'PUT',
        url: `${API}/deployments/w1`,
        payload: { blueprint_id: 'bp' },
      });
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.json().latest_execution_status, 'terminated');
      assert.equal(r.json().deployment_status, 'good');
    });

    test('a failed environment creation is a 400 with the last error line; async does not wait', async () => {
      outcome = 'failed';
      let r = await m.call({ method: 'PUT', url: `${API}/deployments/w2`, payload: { blueprint_id: 'bp' } });
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().error_code, 'deployment_creation_error');
      assert.match(r.json().message, /RuntimeError: plan broke/);
      outcome = 'never';
      deploymentCreateWait.timeoutMs = 100;
      r = await m.call({ method: 'PUT', url: `${API}/deployments/w3`, payload: { blueprint_id: 'bp' } });
      assert.equal(r.json().error_code, 'deployment_environment_creation_in_progress_error');
      r = await m.call({
        method: 'PUT',
        url: `${API}/deployments/w4?async_create=true`,
        payload: { blueprint_id: 'bp' },
      });
      assert.equal(r.statusCode, 201);
      assert.equal(r.json().latest_execution_status, 'pending');
    });

    test('delete runs delete_deployment_environment and the row goes when it terminates', async () => {
      outcome = 'terminated';
      const r = await m.call({ method: 'DELETE', url: `${API}/deployments/w1` });
      assert.equal(r.statusCode, 204);
      const ex = await m.db.query<{ workflow_id: string }>(
        "SELECT e.workflow_id FROM executions e JOIN deployments d ON d._storage_id = e._deployment_fk WHERE d.id = 'w1' ORDER BY e._storage_id DESC",
      );
      assert.equal(ex[0]?.workflow_id, 'delete_deployment_environment');
      for (let i = 0; i < 100; i++) {
        const g = await m.call({ method: 'GET', url: `${API}/deployments/w1` });
        if (g.statusCode === 404) return;
        await new Promise((res) => setTimeout(res, 20));
      }
      assert.fail('the deployment was not removed');
    });
  });
});
