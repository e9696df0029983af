// A failed task's texts (dsl-and-workflows.md §3.8): the event message, the workflow_failed message and
// the execution's error carry the error's message as Cloudify's do (`Task failed '<task>' -> <message>`,
// cloudify/workflows/events.py) and never a stack; the error type and the traceback are in the events'
// error_causes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRetryPolicy, toOperationFailure } from '../../src/engine/index.js';
import { fixturePlan, graphFor, run, start } from './helpers.js';

const NO_RETRIES = { retryPolicy: compileRetryPolicy({ maxRetries: 0, retryIntervalMs: 10 }) };

const STACK = /\n\s+at |\(\/.*:\d+:\d+\)/;

class ScriptFailure extends Error {
  override name = 'ProcessException';
  readonly traceback = 'Traceback (most recent call last):\n  File "f.py", line 2\nValueError: bad value';
}

describe('task failure texts', () => {
  it('message text is the error message; its type and stack are only in error_causes', () => {
    const err = new TypeError('boom');
    assert.match(err.stack ?? '', STACK, 'the error has a stack to hide');
    const l = run(start(graphFor('install', {}, fixturePlan(), NO_RETRIES)), {
      decide: (lb) => (lb === 'host_1.create' ? toOperationFailure(err) : 'ok'),
    });
    assert.equal(l.state.status, 'failed');
    const failed = l.events.find((e) => e.event_type === 'task_failed');
    assert.ok(failed);
    assert.equal(failed.message.text, "Task failed 'script_runner.tasks.run' -> boom");
    const [cause] = failed.error_causes ?? [];
    assert.equal(cause.type, 'TypeError');
    assert.equal(cause.message, 'boom');
    assert.match(cause.traceback ?? '', STACK);
    const wf = l.events.at(-1);
    assert.equal(wf?.event_type, 'workflow_failed');
    assert.equal(wf?.message.text, `'install' workflow execution failed: ${failed.message.text}`);
    const fin = l.commands.at(-1);
    assert.equal(fin?.kind === 'finishExecution' && fin.error, failed.message.text);
  });

  it('a retried failure reads the same way, with its retry count', () => {
    const l = run(start(graphFor('install')), {
      decide: (lb, n) => (lb === 'host_1.create' && n === 1 ? toOperationFailure(new Error('flaky')) : 'ok'),
    });
    assert.equal(l.state.status, 'terminated');
    const resched = l.events.find((e) => e.event_type === 'task_rescheduled');
    assert.equal(resched?.message.text, "Task rescheduled 'script_runner.tasks.run' -> flaky [retry 1/60]");
  });

  it("an error's own traceback (a script's) is the cause's traceback", () => {
    const f = toOperationFailure(
      new ScriptFailure('Script f.py exited with code 1; stderr: ValueError: bad value'),
    );
    assert.equal(f.causeType, 'ProcessException');
    assert.equal(f.recoverable, true);
    assert.match(f.traceback ?? '', /^Traceback \(most recent call last\):/);
    assert.doesNotMatch(f.traceback ?? '', STACK);
  });
});
