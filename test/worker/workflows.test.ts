// Workflows over REST on the all-in-one manager, both drivers: retry (ProcessException and
// ctx retry-operation), cancel and force-cancel (process groups killed), queueing behind a busy
// deployment and under the global cap, force-resume of a failed install, heal, scale ±1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { API, events, runWorkflow, startExecution, until, waitExecution } from './helpers.js';
import { alive, count, deploy, instancesOf, killPids, readPids } from './mini.js';

/** Cloudify 5.1's install declares no node_ids; the engine honours it as a custom parameter. */
const CUSTOM = { allow_custom_parameters: true };

forEachDriver('workflows over REST', (fx) => {
  let m: TestManager;
  let root: string;
  const pids: number[] = [];
  before(async () => {
    m = await startTestManager(fx);
    root = mkdtempSync(join(tmpdir(), 'stratus-wf-'));
  });
  after(async () => {
    killPids(pids);
    await m?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('retries a failing script and a ctx retry-operation, with task_rescheduled events', {
    timeout: 120_000,
  }, async () => {
    const mk = await deploy(m, root, 'retry', {
      a: { ops: { create: { mode: 'fail-once', max_retries: 2, retry_interval: 0 } } },
      b: { ops: { create: { mode: 'retry-once', max_retries: 1, retry_interval: 30 } } },
      c: { ops: { create: { mode: 'fail-once', max_retries: 0 } } },
    });
    const ex = await runWorkflow(m, 'retry', 'install', { node_ids: ['a', 'b'] }, 60_000, CUSTOM);
    assert.equal(ex.status, 'terminated', ex.error);
    const evs = await events(m, ex.id);
    const resched = evs.filter((e) => e.event_type === 'task_rescheduled');
    assert.equal(resched.length, 2);
    assert.ok(
      resched.some((e) => /not yet \[retry 1\/1\]/.test(e.message)),
      JSON.stringify(resched),
    );
    const [a] = (await instancesOf(m, 'retry')).filter((i) => i.node_id === 'a');
    assert.equal(count(mk, `${a.id}.create`), 2);
    // no retries left: the execution fails with the script's exit code and stderr
    const ex2 = await runWorkflow(m, 'retry', 'install', { node_ids: ['c'] }, 60_000, CUSTOM);
    assert.equal(ex2.status, 'failed');
    assert.match(ex2.error, /exited with code 1; stderr: boom/);
    const failed = (await events(m, ex2.id)).filter((e) => e.event_type === 'task_failed');
    assert.equal(failed.length, 1);
  });

  it('runs python scripts with `from cloudify import ctx` and the inputs', { timeout: 60_000 }, async () => {
    const py = [
      'from cloudify import ctx',
      'from cloudify.state import ctx_parameters as p',
      "ctx.logger.info('python %s of %s' % (p['OP'], ctx.instance.id))",
      "ctx.instance.runtime_properties['from_py'] = {'op': p['OP'], 'node': ctx.node.id}",
      '',
    ].join('\n');
    await deploy(
      m,
      root,
      'py',
      { a: { ops: { create: { script: 'scripts/create.py', max_retries: 0 } } } },
      {
        'scripts/create.py': py,
      },
    );
    const ex = await runWorkflow(m, 'py', 'install');
    assert.equal(ex.status, 'terminated', ex.error);
    const [a] = await instancesOf(m, 'py');
    assert.deepEqual(a.runtime_properties.from_py, { op: 'create', node: 'a' });
    const logs = await events(m, ex.id, 'cloudify_log');
    assert.ok(logs.some((l) => l.message === `python create of ${a.id}`));
  });

  it('cancel waits for the running op; force-cancel kills its process group', {
    timeout: 120_000,
  }, async () => {
    const mk = await deploy(m, root, 'cancel', {
      a: { ops: { create: { mode: 'sleep', secs: 2 }, configure: {} } },
      d: { ops: { create: { mode: 'daemon' } } },
    });
    const ex = await startExecution(m, 'cancel', 'install', { node_ids: ['a'] }, CUSTOM);
    await until(
      async () => count(mk, `${(await instancesOf(m, 'cancel')).find((i) => i.node_id === 'a').id}.create`),
      (n) => n === 1,
      30_000,
      'create to run',
    );
    const c = await m.call({
      method: 'POST',
      url: `${API}/executions/${ex.id}`,
      payload: { action: 'cancel' },
    });
    assert.equal(c.statusCode, 200, c.body);
    const done = await waitExecution(m, ex.id, 60_000);
    assert.equal(done.status, 'cancelled');
    const a = (await instancesOf(m, 'cancel')).find((i) => i.node_id === 'a');
    assert.equal(count(mk, `${a.id}.configure`), 0, 'nothing new is dispatched after a cancel');
    const evs = await events(m, ex.id);
    assert.ok(
      evs.some((e) => e.event_type === 'task_succeeded' && e.operation.endsWith('create')),
      'in-flight op finished',
    );
    assert.equal(evs[evs.length - 1].event_type, 'workflow_cancelled');

    // a script that forks a daemon, force-cancelled: both processes die
    const ex2 = await startExecution(m, 'cancel', 'install', { node_ids: ['d'] }, CUSTOM);
    await until(
      async () => readPids(mk).length,
      (n) => n >= 2,
      30_000,
      'daemon pids',
    );
    const started = readPids(mk);
    pids.push(...started);
    assert.ok(started.every(alive));
    const fc = await m.call({
      method: 'POST',
      url: `${API}/executions/${ex2.id}`,
      payload: { action: 'force-cancel' },
    });
    assert.equal(fc.statusCode, 200, fc.body);
    const done2 = await waitExecution(m, ex2.id, 30_000);
    assert.equal(done2.status, 'cancelled');
    await until(
      async () => started.filter(alive),
      (l) => l.length === 0,
      10_000,
      'the process group to die',
    );
  });

  it('queues behind a busy deployment and under the global cap, FIFO', { timeout: 120_000 }, async () => {
    const mk1 = await deploy(m, root, 'q1', { a: { ops: { create: { mode: 'sleep', secs: 1 } } } });
    await deploy(m, root, 'q2', { a: { ops: { create: {} } } });
    const first = await startExecution(m, 'q1', 'install');
    const busy = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: { deployment_id: 'q1', workflow_id: 'uninstall' },
    });
    assert.equal(busy.statusCode, 400);
    assert.equal(busy.json().error_code, 'existing_running_execution_error');
    const queued = await startExecution(m, 'q1', 'uninstall', {}, { queue: true });
    assert.equal(queued.status, 'queued');
    m.ctx.config.maxConcurrentWorkflows = 1;
    try {
      const capped = await startExecution(m, 'q2', 'install');
      assert.equal(capped.status, 'queued');
      const e1 = await waitExecution(m, first.id);
      assert.equal(e1.status, 'terminated', e1.error);
      const e2 = await waitExecution(m, queued.id);
      const e3 = await waitExecution(m, capped.id);
      assert.equal(e2.status, 'terminated', e2.error);
      assert.equal(e3.status, 'terminated', e3.error);
      // FIFO: the older queued execution started first
      assert.ok(Date.parse(e2.started_at) <= Date.parse(e3.started_at));
      assert.ok(Date.parse(e3.started_at) >= Date.parse(e2.ended_at), 'the cap of 1 held');
    } finally {
      m.ctx.config.maxConcurrentWorkflows = 20;
    }
    const a = (await instancesOf(m, 'q1'))[0];
    assert.equal(a.state, 'deleted');
    assert.equal(count(mk1, `${a.id}.create`), 1);
  });

  it('force-resume re-runs the failed op and not the succeeded ones', { timeout: 120_000 }, async () => {
    const flag = join(root, 'fr-flag');
    writeFileSync(flag, '');
    const mk = await deploy(m, root, 'fr', {
      a: { ops: { create: {}, configure: { mode: 'abort-if', flag }, start: {} } },
    });
    const ex = await runWorkflow(m, 'fr', 'install');
    assert.equal(ex.status, 'failed');
    assert.match(ex.error, /flag is set/);
    const a = (await instancesOf(m, 'fr'))[0];
    assert.equal(count(mk, `${a.id}.configure`), 1, 'abort-operation is not retried');
    unlinkSync(flag);
    const r = await m.call({
      method: 'POST',
      url: `${API}/executions/${ex.id}`,
      payload: { action: 'force-resume' },
    });
    assert.equal(r.statusCode, 200, r.body);
    const done = await waitExecution(
      m,
      ex.id,
      60_000,
      (e) => e.status === 'terminated' || e.status === 'failed',
    );
    assert.equal(done.status, 'terminated', done.error);
    assert.equal(done.resume, true);
    assert.equal(count(mk, `${a.id}.create`), 1);
    assert.equal(count(mk, `${a.id}.configure`), 2);
    assert.equal(count(mk, `${a.id}.start`), 1);
    assert.equal((await instancesOf(m, 'fr'))[0].state, 'started');
  });

  /** The execution's first two items, as the 5.1 CLI lists them: workflow_started, then the workflow's own log. */
  const opening = async (executionId: string) => {
    const r = await m.call({
      method: 'GET',
      url: `${API}/events?execution_id=${executionId}&type=cloudify_event&type=cloudify_log&_sort=reported_timestamp&_size=2`,
    });
    assert.equal(r.statusCode, 200, r.body);
    const [started, log] = r.json().items;
    assert.equal(started.event_type, 'workflow_started');
    assert.equal(log.type, 'cloudify_log');
    assert.equal(log.level, 'info');
    assert.equal(log.logger, `ctx.${executionId}`);
    return log.message as string;
  };

  it('heals an instance by reinstalling its host subtree', { timeout: 120_000 }, async () => {
    const ops = { create: {}, start: {}, stop: {}, delete: {} };
    const mk = await deploy(m, root, 'heal', {
      host: { type: 'cloudify.nodes.Compute', ops },
      db: { ops, relationships: [{ type: 'cloudify.relationships.contained_in', target: 'host' }] },
      other: { ops },
    });
    assert.equal((await runWorkflow(m, 'heal', 'install')).status, 'terminated');
    const nis = await instancesOf(m, 'heal');
    const db = nis.find((i) => i.node_id === 'db');
    const host = nis.find((i) => i.node_id === 'host');
    const other = nis.find((i) => i.node_id === 'other');
    const ex = await runWorkflow(m, 'heal', 'heal', { node_instance_id: db.id });
    assert.equal(ex.status, 'terminated', ex.error);
    assert.equal(await opening(ex.id), `Starting 'heal' workflow on ${db.id}, Diagnosis: Not provided`);
    for (const i of [host, db]) {
      assert.equal(count(mk, `${i.id}.create`), 2, `${i.id} reinstalled`);
      assert.equal(count(mk, `${i.id}.delete`), 1);
    }
    assert.equal(count(mk, `${other.id}.create`), 1, 'outside the host subtree: untouched');
    assert.ok((await instancesOf(m, 'heal')).every((i) => i.state === 'started'));
  });

  it('scales a node out and in by one', { timeout: 120_000 }, async () => {
    const mk = await deploy(m, root, 'scale', {
      web: { ops: { create: {}, start: {}, stop: {}, delete: {} } },
    });
    assert.equal((await runWorkflow(m, 'scale', 'install')).status, 'terminated');
    const out = await runWorkflow(m, 'scale', 'scale', { scalable_entity_name: 'web', delta: 1 });
    assert.equal(out.status, 'terminated', out.error);
    assert.match(await opening(out.id), /^Deployment modification started\. \[modification_id=[\w-]+\]$/);
    let nis = await instancesOf(m, 'scale');
    assert.equal(nis.length, 2);
    assert.ok(nis.every((i) => i.state === 'started'));
    const added = nis[1];
    assert.equal(count(mk, `${added.id}.create`), 1);
    assert.equal(count(mk, `${nis[0].id}.create`), 1, 'the existing instance is not reinstalled');
    const node = (await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=scale` })).json().items[0];
    assert.equal(node.number_of_instances, 2);
    const inn = await runWorkflow(m, 'scale', 'scale', { scalable_entity_name: 'web', delta: -1 });
    assert.equal(inn.status, 'terminated', inn.error);
    nis = await instancesOf(m, 'scale');
    assert.equal(nis.length, 1);
    assert.equal(nis[0].state, 'started');
    const node2 = (await m.call({ method: 'GET', url: `${API}/nodes?deployment_id=scale` })).json().items[0];
    assert.equal(node2.number_of_instances, 1);
    const none = await runWorkflow(m, 'scale', 'scale', { scalable_entity_name: 'web', delta: 0 });
    assert.equal(none.status, 'terminated', none.error);
    assert.equal(await opening(none.id), 'delta parameter is 0, so no scaling will take place.');
  });
});
