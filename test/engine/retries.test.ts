import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileRetryPolicy,
  ConfigError,
  NonRecoverableError,
  OperationRetry,
  RecoverableError,
  toOperationFailure,
} from '../../src/engine/index.js';
import { fixturePlan, graphFor, run, script, start } from './helpers.js';

const recoverable = { recoverable: true, causeType: 'RecoverableError', message: 'try again' };
const fatal = { recoverable: false, causeType: 'NonRecoverableError', message: 'abort' };

describe('retries and errors (§3.6)', () => {
  it('retries a recoverable failure after retry_interval and then succeeds', () => {
    const l = run(start(graphFor('install')), {
      decide: (lb, n) => (lb === 'host_1.create' && n <= 2 ? recoverable : 'ok'),
    });
    assert.equal(l.state.status, 'terminated');
    const retries = l.commands.filter((c) => c.kind === 'scheduleRetry');
    assert.equal(retries.length, 2);
    assert.equal(retries[0].kind === 'scheduleRetry' && retries[0].afterMs, 15_000);
    const resched = l.events.filter((e) => e.event_type === 'task_rescheduled');
    assert.equal(resched.length, 2);
    assert.match(resched[1].message.text, /\[retry 2\/60\]/);
    assert.equal(l.dispatched.filter((d) => d === 'host_1.create').length, 3);
  });

  it('uses the task-level max_retries and retry_interval over the workflow defaults', () => {
    const plan = fixturePlan();
    plan.nodes[0].operations!['cloudify.interfaces.lifecycle.create'] = script('c', {
      max_retries: 2,
      retry_interval: 1,
    });
    const l = run(start(graphFor('install', {}, plan)), {
      decide: (lb) => (lb === 'host_1.create' ? recoverable : 'ok'),
    });
    assert.equal(l.state.status, 'failed');
    assert.equal(l.dispatched.filter((d) => d === 'host_1.create').length, 3);
    const r = l.commands.find((c) => c.kind === 'scheduleRetry');
    assert.equal(r?.kind === 'scheduleRetry' && r.afterMs, 1000);
    assert.equal(l.events.at(-1)?.event_type, 'workflow_failed');
  });

  it('honours the configured workflow defaults', () => {
    const g = graphFor('install', {}, fixturePlan(), {
      retryPolicy: compileRetryPolicy({ maxRetries: 0, retryIntervalMs: 10 }),
    });
    const l = run(start(g), { decide: (lb) => (lb === 'host_2.create' ? recoverable : 'ok') });
    assert.equal(l.state.status, 'failed');
    assert.equal(l.dispatched.filter((d) => d === 'host_2.create').length, 1);
  });

  it('fails a non-recoverable error at once; dependents never run, in-flight ones finish', () => {
    const l = run(start(graphFor('install')), { decide: (lb) => (lb === 'host_1.create' ? fatal : 'ok') });
    assert.equal(l.state.status, 'failed');
    assert.equal(l.dispatched.filter((d) => d === 'host_1.create').length, 1);
    assert.ok(!l.dispatched.includes('host_1.configure'));
    assert.ok(!l.dispatched.includes('app_1.create'));
    assert.ok(l.trace.includes('done:host_2.create'), 'the parallel op still reports');
    const failed = l.events.find((e) => e.event_type === 'task_failed');
    assert.equal(failed?.error_causes?.[0].type, 'NonRecoverableError');
    const fin = l.commands.at(-1);
    assert.equal(fin?.kind, 'finishExecution');
    assert.match(fin?.kind === 'finishExecution' ? (fin.error ?? '') : '', /abort/);
  });

  it('retry-operation waits its own retryAfterMs', () => {
    const l = run(start(graphFor('install')), {
      decide: (lb, n) =>
        lb === 'db_1.configure' && n === 1 ? toOperationFailure(new OperationRetry('not ready', 2500)) : 'ok',
    });
    assert.equal(l.state.status, 'terminated');
    const r = l.commands.find((c) => c.kind === 'scheduleRetry');
    assert.equal(r?.kind === 'scheduleRetry' && r.afterMs, 2500);
  });

  it('unlimited retries (-1) keep retrying', () => {
    const plan = fixturePlan();
    plan.nodes[0].operations!['cloudify.interfaces.lifecycle.create'] = script('c', { max_retries: -1 });
    const l = run(start(graphFor('install', {}, plan)), {
      decide: (lb, n) => (lb === 'host_1.create' && n < 100 ? recoverable : 'ok'),
    });
    assert.equal(l.state.status, 'terminated');
    assert.match(l.events.find((e) => e.event_type === 'task_rescheduled')!.message.text, /unlimited/);
  });

  it('toOperationFailure normalises what plugins throw', () => {
    assert.deepEqual(
      [
        new NonRecoverableError('x'),
        new RecoverableError('y', 5),
        new OperationRetry('z', 7),
        new TypeError('t'),
        'str',
      ]
        .map(toOperationFailure)
        .map((f) => [f.recoverable, f.causeType, f.retryAfterMs]),
      [
        [false, 'NonRecoverableError', undefined],
        [true, 'RecoverableError', 5],
        [true, 'OperationRetry', 7],
        [true, 'TypeError', undefined],
        [true, 'Error', undefined],
      ],
    );
    const already = { recoverable: false, causeType: 'X', message: 'm' };
    assert.equal(toOperationFailure(already), already);
  });

  it('compileRetryPolicy documents defaults and rejects bad values by key', () => {
    assert.deepEqual({ ...compileRetryPolicy() }, { maxRetries: 60, retryIntervalMs: 15_000 });
    assert.throws(
      () => compileRetryPolicy({ retryIntervalMs: -1 }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.equal(e.key, 'retryIntervalMs');
        return true;
      },
    );
    assert.throws(() => compileRetryPolicy({ maxRetries: -2 }), /maxRetries/);
  });
});
