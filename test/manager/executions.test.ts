import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ManagerContext } from '../../src/manager/context.js';
import { deploymentCreateWait } from '../../src/manager/routes/deployments.js';
import { issueExecutionToken } from '../../src/executions/lifecycle.js';
import { applyAction, validateStatusUpdate } from '../../src/executions/status.js';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const API = '/api/v3.1';
const PLAN = {
  inputs: {},
  workflows: {
    install: { operation: 'cloudify.plugins.workflows.install', plugin: 'default_workflows', parameters: {} },
    broken: { operation: 'p.broken', plugin: 'p', parameters: {} },
    custom: {
      operation: 'p.custom',
      plugin: 'p',
      parameters: { a: { type: 'integer' }, b: { default: 'x' }, flag: { type: 'boolean', default: false } },
    },
  },
};

test('status machine table (§6.2)', () => {
  const ok: [string, string][] = [
    ['pending', 'started'],
    ['started', 'terminated'],
    ['started', 'failed'],
    ['started', 'cancelled'],
    ['cancelling', 'cancelled'],
    ['cancelling', 'failed'],
    ['force_cancelling', 'cancelled'],
    ['kill_cancelling', 'cancelled'],
    ['queued', 'pending'],
    ['terminated', 'terminated'],
  ];
  const bad: [string, string][] = [
    ['terminated', 'started'],
    ['failed', 'pending'],
    ['cancelled', 'terminated'],
    ['cancelling', 'started'],
    ['cancelling', 'terminated'],
    ['cancelling', 'force_cancelling'],
    ['force_cancelling', 'cancelling'],
    ['force_cancelling', 'started'],
    ['force_cancelling', 'terminated'],
    ['started', 'bogus'],
  ];
  for (const [f, t] of ok) assert.doesNotThrow(() => validateStatusUpdate('install', f, t), `${f} → ${t}`);
  for (const [f, t] of bad) {
    assert.throws(
      () => validateStatusUpdate('install', f, t),
      (e: any) => e.errorCode === 'invalid_exception_status_update',
      `${f} → ${t}`,
    );
  }
  assert.doesNotThrow(() => validateStatusUpdate('create_snapshot', 'failed', 'started'));
  assert.equal(applyAction('e', 'pending', 'cancel').status, 'cancelling');
  assert.equal(applyAction('e', 'started', 'force-cancel').status, 'force_cancelling');
  assert.equal(applyAction('e', 'started', 'kill').status, 'kill_cancelling');
  assert.equal(applyAction('e', 'queued', 'cancel').status, 'cancelled');
  assert.equal(applyAction('e', 'failed', 'resume').status, 'pending');
  assert.equal(applyAction('e', 'started', 'requeue').status, 'cancelling');
  assert.throws(
    () => applyAction('e', 'started', 'force-resume'),
    (e: any) => e.errorCode === 'illegal_action_error',
  );
  assert.throws(
    () => applyAction('e', 'terminated', 'cancel'),
    (e: any) => e.errorCode === 'illegal_action_error',
  );
  assert.throws(
    () => applyAction('e', 'started', 'explode'),
    (e: any) => e.errorCode === 'unknown_action',
  );
});

forEachDriver('executions', (fx) => {
  let m: TestManager;
  let ctx: ManagerContext;
  const dispatched: string[] = [];
  before(async () => {
    deploymentCreateWait.intervalMs = 10;
    m = await startTestManager(
      fx,
      {},
      {
        async dispatch(id) {
          dispatched.push(id);
          const [ex] = await m.db.query<{ workflow_id: string }>(
            'SELECT workflow_id FROM executions WHERE id = $1',
            [id],
          );
          if (ex?.workflow_id === 'broken') throw new Error('broker unreachable');
          // System workflows complete on their own, as a worker would.
          if (ex?.workflow_id.endsWith('_deployment_environment')) {
            setTimeout(async () => {
              await m.ctx.executions.updateStatus(id, 'started');
              await m.ctx.executions.updateStatus(id, 'terminated');
            }, 5);
          }
        },
      },
    );
    ctx = m.ctx;
    const [t] = await m.db.query<{ id: number }>("SELECT id FROM tenants WHERE name = 'default_tenant'");
    const [u] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
    await m.db.query(
      `INSERT INTO blueprints (id, _tenant_id, _creator_id, state, plan, main_file_name)
       VALUES ('bp', $1, $2, 'uploaded', $3::text::jsonb, 'bp.yaml')`,
      [t.id, u.id, JSON.stringify(PLAN)],
    );
    for (const d of ['d1', 'd2', 'd3', 'd4']) {
      const r = await m.call({
        method: 'PUT',
        url: `${API}/deployments/${d}`,
        payload: { blueprint_id: 'bp' },
      });
      assert.equal(r.statusCode, 201, r.body);
    }
  });
  after(async () => {
    await m?.close();
  });

  const start = (payload: Record<string, unknown>) =>
    m.call({ method: 'POST', url: `${API}/executions`, payload });
  const patch = (id: string, payload: Record<string, unknown>) =>
    m.call({ method: 'PATCH', url: `${API}/executions/${id}`, payload });
  const action = (id: string, a: string) =>
    m.call({ method: 'POST', url: `${API}/executions/${id}`, payload: { action: a } });
  const get = async (id: string) => (await m.call({ method: 'GET', url: `${API}/executions/${id}` })).json();

  test('start: validation errors', async () => {
    let r = await start({ deployment_id: 'nope', workflow_id: 'install' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error_code, 'not_found_error');
    r = await start({ deployment_id: 'd1', workflow_id: 'nope' });
    assert.equal(r.json().error_code, 'nonexistent_workflow_error');
    r = await start({ deployment_id: 'd1', workflow_id: 'custom', parameters: { a: 1, zzz: 2 } });
    assert.equal(r.json().error_code, 'illegal_execution_parameters_error');
    r = await start({ deployment_id: 'd1', workflow_id: 'custom', parameters: {} });
    assert.equal(r.json().error_code, 'illegal_execution_parameters_error');
    assert.match(r.json().message, /"a"/);
    r = await start({ deployment_id: 'd1', workflow_id: 'custom', parameters: { a: 'x1' } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'illegal_execution_parameters_error');
    r = await start({ deployment_id: 'd1', workflow_id: 'install', parameters: [1] });
    assert.equal(r.statusCode, 400);
    r = await start({ workflow_id: 'install' });
    assert.equal(r.statusCode, 400);
    r = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: '{"deployment_id": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: { deployment_id: 'd1', workflow_id: 'install' },
      tenant: null,
    });
    assert.equal(r.statusCode, 403);
  });

  test('start, one per deployment, queue and force; PATCH lifecycle; FIFO dequeue', async () => {
    const r = await start({
      deployment_id: 'd1',
      workflow_id: 'custom',
      parameters: { a: '7', flag: 'true', extra: 1 },
      allow_custom_parameters: 'true',
    });
    assert.equal(r.statusCode, 201, r.body);
    const e1 = r.json();
    assert.equal(e1.status, 'pending');
    assert.equal(e1.deployment_id, 'd1');
    assert.equal(e1.blueprint_id, 'bp');
    assert.equal(e1.is_system_workflow, false);
    assert.deepEqual(e1.parameters, { a: 7, b: 'x', flag: true, extra: 1 });
    assert.ok(dispatched.includes(e1.id));

    const busy = await start({ deployment_id: 'd1', workflow_id: 'install' });
    assert.equal(busy.statusCode, 400);
    assert.equal(busy.json().error_code, 'existing_running_execution_error');
    const q1 = (await start({ deployment_id: 'd1', workflow_id: 'install', queue: true })).json();
    const q2 = (await start({ deployment_id: 'd1', workflow_id: 'install', queue: 'true' })).json();
    assert.equal(q1.status, 'queued');
    assert.equal(q2.status, 'queued');
    assert.ok(!dispatched.includes(q1.id));
    assert.equal(
      (await m.call({ method: 'GET', url: `${API}/executions/${q1.id}/should-start` })).json(),
      false,
    );

    // PATCH: started stamps started_at; an invalid move is 400.
    let p = await patch(e1.id, { status: 'started' });
    assert.equal(p.statusCode, 200, p.body);
    assert.ok(p.json().started_at);
    p = await patch(e1.id, { status: 'bogus' });
    assert.equal(p.json().error_code, 'invalid_exception_status_update');
    p = await patch(e1.id, { status: 'terminated' });
    assert.equal(p.json().status_display, 'completed');
    assert.ok(p.json().ended_at);
    p = await patch(e1.id, { status: 'started' });
    assert.equal(p.statusCode, 400);
    assert.equal(p.json().error_code, 'invalid_exception_status_update');
    // FIFO: the first queued one starts, the second still waits.
    assert.equal((await get(q1.id)).status, 'pending');
    assert.equal((await get(q2.id)).status, 'queued');
    assert.ok(dispatched.includes(q1.id));
    await patch(q1.id, { status: 'failed', error: 'boom\nlast line' });
    assert.equal((await get(q1.id)).error, 'boom\nlast line');
    assert.equal((await get(q2.id)).status, 'pending');
    // force starts alongside a running one.
    const f = (await start({ deployment_id: 'd1', workflow_id: 'install', force: true })).json();
    assert.equal(f.status, 'pending');
    await patch(f.id, { status: 'cancelled' });
    await patch(q2.id, { status: 'terminated' });
    const dep = (await m.call({ method: 'GET', url: `${API}/deployments/d1` })).json();
    assert.equal(dep.latest_execution_id, f.id);
  });

  test('actions: cancel, kill, resume, requeue, errors', async () => {
    const e = (await start({ deployment_id: 'd2', workflow_id: 'install' })).json();
    const q = (await start({ deployment_id: 'd2', workflow_id: 'install', queue: true })).json();
    let r = await action(q.id, 'cancel');
    assert.equal(r.json().status, 'cancelled');
    r = await action(e.id, 'explode');
    assert.equal(r.json().error_code, 'unknown_action');
    r = await action(e.id, 'cancel');
    assert.equal(r.json().status, 'cancelling');
    r = await patch(e.id, { status: 'started' });
    assert.equal(r.json().error_code, 'invalid_exception_status_update');
    r = await action(e.id, 'force-cancel');
    assert.equal(r.json().status, 'force_cancelling');
    r = await action(e.id, 'kill');
    assert.equal(r.json().status, 'kill_cancelling');
    await patch(e.id, { status: 'cancelled' });
    r = await action(e.id, 'cancel');
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'illegal_action_error');
    const before = dispatched.length;
    r = await action(e.id, 'resume');
    assert.equal(r.json().status, 'pending');
    assert.equal(r.json().resume, true);
    assert.equal(r.json().ended_at, null);
    assert.equal(dispatched.length, before + 1);
    r = await action(e.id, 'force-resume');
    assert.equal(r.json().error_code, 'illegal_action_error');
    r = await action('nope', 'cancel');
    assert.equal(r.statusCode, 404);
    await patch(e.id, { status: 'started' });
    await patch(e.id, { status: 'terminated' });
  });

  test('global cap queues and dequeues in order', async () => {
    m.ctx.config.maxConcurrentWorkflows = 1;
    try {
      const a = (await start({ deployment_id: 'd3', workflow_id: 'install' })).json();
      assert.equal(a.status, 'pending');
      const b = (await start({ deployment_id: 'd4', workflow_id: 'install' })).json();
      assert.equal(b.status, 'queued');
      const c = (await start({ deployment_id: 'd2', workflow_id: 'install' })).json();
      assert.equal(c.status, 'queued');
      assert.equal(
        (await m.call({ method: 'GET', url: `${API}/executions/${b.id}/should-start` })).json(),
        false,
      );
      await patch(a.id, { status: 'terminated' });
      assert.equal((await get(b.id)).status, 'pending');
      assert.equal((await get(c.id)).status, 'queued');
      await patch(b.id, { status: 'failed' });
      assert.equal((await get(c.id)).status, 'pending');
      await patch(c.id, { status: 'terminated' });
    } finally {
      m.ctx.config.maxConcurrentWorkflows = 20;
    }
  });

  test('list: system workflows hidden by default, filters, sort, paging, errors', async () => {
    let r = await m.call({ method: 'GET', url: `${API}/executions` });
    assert.equal(r.statusCode, 200);
    assert.ok(r.json().items.every((e: any) => !e.is_system_workflow));
    r = await m.call({
      method: 'GET',
      url: `${API}/executions?_include_system_workflows=true&deployment_id=d1`,
    });
    assert.ok(r.json().items.some((e: any) => e.workflow_id === 'create_deployment_environment'));
    r = await m.call({
      method: 'GET',
      url: `${API}/executions?deployment_id=d2&status=cancelled&_include=id,status`,
    });
    assert.deepEqual(Object.keys(r.json().items[0]).sort(), ['id', 'status']);
    r = await m.call({ method: 'GET', url: `${API}/executions?_sort=-created_at&_size=2&_offset=1` });
    assert.equal(r.json().items.length, 2);
    assert.equal(r.json().metadata.pagination.offset, 1);
    r = await m.call({ method: 'GET', url: `${API}/executions?nope=1` });
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await m.call({ method: 'GET', url: `${API}/executions?_sort=nope` });
    assert.equal(r.json().error_code, 'bad_parameters_error');
    r = await m.call({ method: 'GET', url: `${API}/executions?_size=100000` });
    assert.equal(r.statusCode, 400);
    r = await m.call({ method: 'GET', url: `${API}/executions`, tenant: null });
    assert.equal(r.statusCode, 403);
    r = await m.call({ method: 'GET', url: `${API}/executions/nope` });
    assert.equal(r.statusCode, 404);
  });

  test('a dispatcher failure fails the execution, not the request', async () => {
    const r = await start({ deployment_id: 'd4', workflow_id: 'broken' });
    assert.equal(r.statusCode, 201);
    const e = await get(r.json().id);
    assert.equal(e.status, 'failed');
    assert.match(e.error, /broker unreachable/);
  });

  test('an execution token authenticates the worker for PATCH', async () => {
    const e = (await start({ deployment_id: 'd3', workflow_id: 'install' })).json();
    const token = await issueExecutionToken(ctx.db, e.id);
    const r = await m.call({
      method: 'PATCH',
      url: `${API}/executions/${e.id}`,
      payload: { status: 'started' },
      as: null,
      headers: { 'execution-token': token },
    });
    assert.equal(r.statusCode, 200, r.body);
    const ev = await m.call({
      method: 'POST',
      url: `${API}/events`,
      payload: { logs: [{ logger: 'w', level: 'info', message: { text: 'from the worker' }, context: {} }] },
      as: null,
      headers: { 'execution-token': token },
    });
    assert.equal(ev.statusCode, 201, ev.body);
    const logs = await m.call({ method: 'GET', url: `${API}/events?execution_id=${e.id}` });
    assert.equal(logs.json().items[0].message, 'from the worker');
    await patch(e.id, { status: 'terminated' });
    const gone = await m.call({
      method: 'GET',
      url: `${API}/executions/${e.id}`,
      as: null,
      headers: { 'execution-token': token },
    });
    assert.equal(gone.statusCode, 401);
  });
});
