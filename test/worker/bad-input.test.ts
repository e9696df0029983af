// The "Bad input" list: each case ends with a clear error and nothing half-done (no running
// process left, the instance state not advanced past the failing op).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { API, events, runWorkflow, startExecution, until } from './helpers.js';
import { alive, count, deploy, instancesOf, killPids, readPids } from './mini.js';

const NO_RETRY = { max_retries: 0 };

forEachDriver('bad input', (fx) => {
  let m: TestManager;
  let root: string;
  const pids: number[] = [];
  before(async () => {
    m = await startTestManager(fx);
    root = mkdtempSync(join(tmpdir(), 'stratus-bad-'));
  });
  after(async () => {
    killPids(pids);
    await m?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a missing script fails the op at once with the path in the message', async () => {
    await deploy(m, root, 'missing', {
      a: { ops: { create: { script: 'scripts/nope.sh', max_retries: 5 } } },
    });
    const ex = await runWorkflow(m, 'missing', 'install');
    assert.equal(ex.status, 'failed');
    assert.match(ex.error, /Resource scripts\/nope\.sh was not found in the blueprint's resources/);
    const evs = await events(m, ex.id);
    assert.equal(evs.filter((e) => e.event_type === 'task_rescheduled').length, 0, 'not retried');
    assert.equal((await instancesOf(m, 'missing'))[0].state, 'creating');
  });

  // dsl-and-workflows.md §3.8: event texts and the execution's error say `<ErrorType>: <message>`; a
  // traceback (ours or the script's) is only in the events' error_causes.
  const STACK = /\n\s+at |File ".*", line \d+|Traceback \(most recent call last\)/;
  const SERVER_PATH = /\/work\/|node_modules|\/resources\/blueprints\/|stratus-script-/;
  const readable = (text: string) => {
    assert.doesNotMatch(text, STACK);
    assert.doesNotMatch(text, SERVER_PATH);
  };
  const failureOf = async (exId: string) => {
    const evs = await events(m, exId);
    const failed = evs.find((e) => e.event_type === 'task_failed');
    const wf = evs.find((e) => e.event_type === 'workflow_failed');
    assert.ok(failed && wf);
    assert.equal(wf.message, `'install' workflow execution failed: ${failed.message}`);
    return { failed, wf };
  };

  it('a failing script: the texts say the error message; its type and traceback are in the causes', async () => {
    await deploy(
      m,
      root,
      'exit1',
      { a: { ops: { create: { script: 'scripts/fail.sh', ...NO_RETRY } } } },
      { 'scripts/fail.sh': '#!/bin/bash\necho oops >&2\nexit 1\n' },
    );
    const ex = await runWorkflow(m, 'exit1', 'install');
    assert.equal(ex.status, 'failed');
    const { failed, wf } = await failureOf(ex.id);
    const message = 'Script scripts/fail.sh exited with code 1; stderr: oops';
    assert.equal(failed.message, `Task failed 'script_runner.tasks.run' -> ${message}`);
    assert.equal(ex.error, failed.message);
    for (const text of [failed.message, wf.message, ex.error]) readable(text);
    assert.equal(failed.error_causes.length, 1);
    const [cause] = failed.error_causes;
    assert.equal(cause.type, 'ProcessException');
    assert.equal(cause.message, message);
    assert.match(cause.traceback, /^ProcessException: Script scripts\/fail\.sh exited with code 1/);
    assert.match(cause.traceback, /\n\s+at /, 'the stack is kept in the cause');
  });

  it("a Python exception: its error line in the texts, the script's traceback in the causes", async () => {
    await deploy(
      m,
      root,
      'pyraise',
      { a: { ops: { create: { script: 'scripts/fail.py', ...NO_RETRY } } } },
      { 'scripts/fail.py': 'from cloudify import ctx\nraise ValueError("bad value")\n' },
    );
    const ex = await runWorkflow(m, 'pyraise', 'install');
    assert.equal(ex.status, 'failed');
    const { failed, wf } = await failureOf(ex.id);
    assert.equal(
      failed.message,
      "Task failed 'script_runner.tasks.run' -> Script scripts/fail.py exited with code 1; stderr: ValueError: bad value",
    );
    assert.equal(ex.error, failed.message);
    for (const text of [failed.message, wf.message, ex.error]) readable(text);
    const [cause] = failed.error_causes;
    assert.equal(cause.type, 'ProcessException');
    assert.match(cause.traceback, /^Traceback \(most recent call last\):\n {2}File ".*fail\.py", line 2/);
    assert.match(cause.traceback, /raise ValueError\("bad value"\)\nValueError: bad value$/);
    assert.doesNotMatch(cause.traceback, /\/work\/|node_modules/, "the script's traceback, not ours");
  });

  it('a missing script: the message names the path as the blueprint gives it', async () => {
    await deploy(m, root, 'missing2', { a: { ops: { create: { script: 'scripts/nope.sh', ...NO_RETRY } } } });
    const ex = await runWorkflow(m, 'missing2', 'install');
    const { failed, wf } = await failureOf(ex.id);
    assert.equal(
      failed.message,
      "Task failed 'script_runner.tasks.run' -> Resource scripts/nope.sh was not found in the blueprint's resources",
    );
    for (const text of [failed.message, wf.message, ex.error]) readable(text);
  });

  it('a script that cannot be executed fails with a clear error', async () => {
    await deploy(
      m,
      root,
      'noexec',
      { a: { ops: { create: { script: 'scripts/bad.sh', max_retries: 3 } } } },
      { 'scripts/bad.sh': '#!/nonexistent/interpreter\necho never\n' },
    );
    const ex = await runWorkflow(m, 'noexec', 'install');
    assert.equal(ex.status, 'failed');
    assert.match(ex.error, /could not be executed \(exit code 127/);
  });

  it('megabytes of output are bounded and truncated in the logs', async () => {
    await deploy(m, root, 'spam', { a: { ops: { create: { mode: 'spam', ...NO_RETRY } } } });
    const ex = await runWorkflow(m, 'spam', 'install');
    assert.equal(ex.status, 'terminated', ex.error);
    const logs = await events(m, ex.id, 'cloudify_log');
    const bytes = logs.reduce((n, l) => n + (l.message?.length ?? 0), 0);
    assert.ok(bytes < 80_000, `${bytes} bytes of logs for 6.5 MB of output`);
    assert.ok(logs.some((l) => /truncated: \d+ bytes beyond 65536 not logged/.test(l.message)));
  });

  it('a script that never exits is killed at its timeout, with its process group', async () => {
    const mk = await deploy(m, root, 'hang', {
      a: { ops: { create: { mode: 'hang', timeout: 1, ...NO_RETRY } } },
    });
    const ex = await runWorkflow(m, 'hang', 'install');
    assert.equal(ex.status, 'failed');
    assert.match(ex.error, /did not finish within 1 s: its process group was killed/);
    const p = readPids(mk);
    pids.push(...p);
    assert.equal(p.length, 1);
    await until(
      async () => alive(p[0]),
      (a) => !a,
      5000,
      'the hanging script to be gone',
    );
  });

  it('an operation name that does not exist', async () => {
    await deploy(m, root, 'noop', { a: { ops: { create: {} } } });
    const r = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: {
        deployment_id: 'noop',
        workflow_id: 'execute_operation',
        parameters: { operation: 'cloudify.interfaces.lifecycle.nope' },
      },
    });
    const mk = join(root, 'noop');
    if (r.statusCode === 400) assert.match(r.body, /nope/);
    else {
      const ex = await until(
        async () => (await m.call({ method: 'GET', url: `${API}/executions/${r.json().id}` })).json(),
        (e) => ['failed', 'terminated'].includes(e.status),
        30_000,
        'execute_operation',
      );
      assert.equal(ex.status, 'failed');
      assert.match(ex.error, /cloudify\.interfaces\.lifecycle\.nope/);
      const [g] = await m.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tasks_graphs g JOIN executions e ON e._storage_id = g._execution_fk WHERE e.id = $1`,
        [ex.id],
      );
      assert.equal(g.n, 0, 'no task graph stored');
    }
    assert.equal(count(mk, `${(await instancesOf(m, 'noop'))[0].id}.create`), 0);
  });

  it('a workflow parameter of the wrong type', async () => {
    await deploy(m, root, 'wrongtype', { a: { ops: { create: {} } } });
    const r = await m.call({
      method: 'POST',
      url: `${API}/executions`,
      payload: {
        deployment_id: 'wrongtype',
        workflow_id: 'scale',
        parameters: { scalable_entity_name: 'a', delta: 'many' },
      },
    });
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.json().message, /delta/);
  });

  it('execute_operation on an unknown node', async () => {
    await deploy(m, root, 'unknown', { a: { ops: { create: {} } } });
    const e = await startExecution(m, 'unknown', 'execute_operation', {
      operation: 'cloudify.interfaces.lifecycle.create',
      node_ids: ['ghost'],
    });
    const ex = await until(
      async () => (await m.call({ method: 'GET', url: `${API}/executions/${e.id}` })).json(),
      (x) => ['failed', 'terminated'].includes(x.status),
      30_000,
      'execute_operation',
    );
    assert.equal(ex.status, 'failed');
    assert.match(ex.error, /Node ghost does not exist in this deployment/);
    const evs = await events(m, ex.id);
    assert.equal(evs[evs.length - 1].event_type, 'workflow_failed');
  });
});
