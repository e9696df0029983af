import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Command,
  ExecutorConfigError,
  fixedClock,
  inFlightOperationIds,
  newExecutionState,
  type PlanNode,
  type PlanNodeInstance,
  step,
  type TasksGraph,
} from '../../src/engine/index.js';
import { graphFor, label, lifecycleOps, ref, run, start } from './helpers.js';

const wide = (n: number) => {
  const nodes: PlanNode[] = [
    {
      id: 'vm',
      type: 'cloudify.nodes.Compute',
      type_hierarchy: ['cloudify.nodes.Compute'],
      operations: lifecycleOps('vm'),
    },
  ];
  const node_instances: PlanNodeInstance[] = Array.from({ length: n }, (_, i) => ({
    id: `vm_${i}`,
    node_id: 'vm',
    relationships: [],
  }));
  return { nodes, node_instances };
};

describe('executor', () => {
  it('bounds the operations in flight', () => {
    const g = graphFor('install', {}, wide(10));
    const l = run(newExecutionState(ref, g, { maxInFlight: 3 }));
    assert.equal(l.state.status, 'terminated');
    assert.equal(l.maxInFlight, 3);
    const first = step(
      newExecutionState(ref, g, { maxInFlight: 3 }),
      { type: 'start' },
      { clock: fixedClock() },
    );
    assert.equal(first.commands.filter((c) => c.kind === 'dispatchOperation').length, 3);
  });

  it('rejects a bad maxInFlight', () => {
    assert.throws(() => newExecutionState(ref, graphFor('install'), { maxInFlight: 0 }), ExecutorConfigError);
  });

  it('an empty graph terminates at once', () => {
    const r = step(start({ name: 'x', operations: [] }), { type: 'start' }, { clock: fixedClock() });
    assert.deepEqual(
      r.commands.map((c) => c.kind),
      ['updateExecutionStatus', 'emitEvent', 'emitEvent', 'finishExecution'],
    );
    assert.equal(r.state.status, 'terminated');
  });

  it('cancel: nothing new is dispatched, in-flight ops finish, then cancelled', () => {
    const g = graphFor('install');
    let replies = 0;
    const l = run(start(g), {
      before: (log) => {
        if (replies++ === 3) {
          const r = step(log.state, { type: 'cancelRequested' }, { clock: fixedClock() });
          log.state = r.state;
          log.commands.push(...r.commands);
        }
      },
    });
    assert.equal(l.state.status, 'cancelled');
    const afterCancel = l.commands.slice(
      l.commands.findIndex((c) => c.kind === 'updateExecutionStatus' && c.status === 'cancelling'),
    );
    assert.ok(!afterCancel.some((c) => c.kind === 'dispatchOperation'));
    assert.equal(l.events.at(-1)?.event_type, 'workflow_cancelled');
    assert.ok(!l.dispatched.includes('app_1.create'));
  });

  it('kill: in-flight ops are cancelled and the execution ends now; late replies are only persisted', () => {
    const clock = fixedClock();
    let s = step(start(graphFor('install')), { type: 'start' }, { clock }).state;
    const inflight = inFlightOperationIds(s);
    assert.equal(inflight.length, 2);
    const r = step(s, { type: 'cancelRequested', mode: 'kill' }, { clock });
    assert.deepEqual(r.commands[0], { kind: 'cancelOperations', operationIds: inflight });
    assert.equal(r.commands.at(-1)?.kind, 'finishExecution');
    s = r.state;
    const late = step(s, { type: 'operationSucceeded', operationId: inflight[0] }, { clock });
    assert.deepEqual(
      late.commands.map((c: Command) => c.kind),
      ['persistOperationState', 'emitEvent'],
    );
  });

  it('ignores duplicate and unknown replies', () => {
    const clock = fixedClock();
    const g = graphFor('install');
    let s = step(start(g), { type: 'start' }, { clock }).state;
    const id = inFlightOperationIds(s)[0];
    s = step(s, { type: 'operationSucceeded', operationId: id }, { clock }).state;
    assert.deepEqual(step(s, { type: 'operationSucceeded', operationId: id }, { clock }).commands, []);
    assert.deepEqual(
      step(
        s,
        {
          type: 'operationFailed',
          operationId: 'nope',
          failure: { recoverable: true, causeType: 'E', message: '' },
        },
        { clock },
      ).commands,
      [],
    );
  });
});

describe('resume (§3.7)', () => {
  const killedDuringConfigure = () => {
    const g = graphFor('install');
    // the worker dies after 7 replies: some ops succeeded, some are in flight
    const first = run(start(g), { stopAfter: 7 });
    return { g, first };
  };

  it('never re-dispatches a succeeded op; in-flight ones run again', async () => {
    const { restoreExecutionState } = await import('../../src/engine/index.js');
    const { stored } = await import('./helpers.js');
    const { g, first } = killedDuringConfigure();
    const succeeded = new Set(
      g.operations
        .filter((o) => first.persisted.get(o.id)?.state === 'succeeded' && o.type === 'RemoteWorkflowTask')
        .map(label),
    );
    const inflight = g.operations
      .filter((o) => ['sent', 'started'].includes(first.persisted.get(o.id)?.state ?? ''))
      .map(label);
    assert.ok(succeeded.size >= 3 && inflight.length >= 1);
    const snapshot: TasksGraph = JSON.parse(JSON.stringify(stored(g, first)));
    const second = run(restoreExecutionState(ref, snapshot as never, { mode: 'resume' }));
    assert.equal(second.state.status, 'terminated');
    for (const d of second.dispatched) assert.ok(!succeeded.has(d), `${d} ran twice`);
    for (const d of inflight) assert.ok(second.dispatched.includes(d), `${d} was not re-run`);
    assert.match(second.events[0].message.text, /Resuming 'install'/);
    // together, every remote op ran, and only the in-flight ones ran twice
    const all = [...first.dispatched, ...second.dispatched];
    const twice = all.filter((d, i) => all.indexOf(d) !== i);
    assert.deepEqual(twice.sort(), [...inflight].sort());
  });

  it('replays the stored history of a killed install', async () => {
    const { restoreExecutionState } = await import('../../src/engine/index.js');
    const { readFileSync } = await import('node:fs');
    const hist = JSON.parse(
      readFileSync(new URL('./histories/killed-during-configure.json', import.meta.url), 'utf8'),
    );
    const done = new Set(
      hist.operations
        .filter(
          (o: { state: string; type: string }) => o.state === 'succeeded' && o.type === 'RemoteWorkflowTask',
        )
        .map(label),
    );
    const l = run(restoreExecutionState(ref, hist, { mode: 'resume' }));
    assert.equal(l.state.status, 'terminated');
    for (const d of l.dispatched) assert.ok(!done.has(d), `${d} ran twice`);
  });

  it('plain resume of a graph with a failed op fails again without dispatching; force-resume re-runs it', async () => {
    const { restoreExecutionState } = await import('../../src/engine/index.js');
    const { stored } = await import('./helpers.js');
    const g = graphFor('install');
    const first = run(start(g), {
      decide: (lb) =>
        lb === 'db_1.create' ? { recoverable: false, causeType: 'NonRecoverableError', message: 'x' } : 'ok',
    });
    assert.equal(first.state.status, 'failed');
    const snap = stored(g, first);
    const plain = run(restoreExecutionState(ref, snap, { mode: 'resume' }));
    assert.equal(plain.state.status, 'failed');
    assert.deepEqual(plain.dispatched, []);
    const forced = run(restoreExecutionState(ref, snap, { mode: 'force-resume' }));
    assert.equal(forced.state.status, 'terminated');
    assert.equal(forced.dispatched[0], 'db_1.create');
    const ranBefore = new Set(first.trace.filter((t) => t.startsWith('done:')).map((t) => t.slice(5)));
    for (const d of forced.dispatched) assert.ok(!ranBefore.has(d), `${d} ran twice`);
  });
});

describe('resume of a rescheduled op', () => {
  it('dispatches it again at once and keeps its retry count', async () => {
    const { restoreExecutionState } = await import('../../src/engine/index.js');
    const { stored } = await import('./helpers.js');
    const g = graphFor('install');
    const first = run(start(g), {
      decide: (lb) =>
        lb === 'host_1.create' ? { recoverable: true, causeType: 'RecoverableError', message: 'x' } : 'ok',
      stopAfter: 2,
    });
    const snap = stored(g, first);
    const op = snap.operations.find((o) => label(o) === 'host_1.create')!;
    assert.equal(op.state, 'rescheduled');
    assert.equal(op.parameters.current_retries, 1);
    const second = run(restoreExecutionState(ref, snap, { mode: 'resume' }));
    assert.equal(second.state.status, 'terminated');
    const d = second.commands.find((c) => c.kind === 'dispatchOperation' && c.operation.id === op.id);
    assert.equal(d?.kind === 'dispatchOperation' && d.currentRetries, 1);
  });
});
