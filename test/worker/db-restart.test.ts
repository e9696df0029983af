// Server setup (PostgreSQL + RabbitMQ, REST service and worker as separate processes): PostgreSQL is
// restarted (`pg_ctl restart -m fast`, every session terminated, down for a moment; then a fast stop
// and a start 1.5 s later) three times during an install of 20 instances, once in each phase. The worker's store calls ride the outage out: the execution ends
// terminated, every instance is started, and no operation ran or succeeded twice.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { brokerUnavailable } from '../bus/rabbit-broker.js';
import { wideFiles } from './fixtures.js';
import {
  API,
  createDeployment,
  events,
  startExecution,
  until,
  uploadBlueprint,
  waitExecution,
} from './helpers.js';
import { markerCounts } from './resume-checks.js';
import { startServerSetup } from './server-setup.js';

const N = 20;

it('PostgreSQL restarted three times mid-install: the install finishes normally, nothing runs twice', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  const setup = await startServerSetup('db-restart');
  after(() => setup.stop());
  const { pg, rest, worker, markers } = setup;

  await uploadBlueprint(rest, 'wide', wideFiles(N, 1.5));
  await createDeployment(rest, 'w1', 'wide', { marker_dir: markers });
  const ex = await startExecution(rest, 'w1', 'install');
  const seen = (op: string) => [...markerCounts(markers).keys()].filter((f) => f.endsWith(`.${op}`));
  await until(
    async () => seen('create'),
    (f) => f.length > 0,
    120_000,
    'the first create',
  );
  pg.restart();
  await until(
    async () => seen('configure'),
    (f) => f.length > 0,
    120_000,
    'the first configure',
  );
  pg.restart();

  const done = await waitExecution(rest, ex.id, 180_000);
  assert.equal(done.status, 'terminated', `${done.error}\n${worker.output().slice(-4000)}`);
  assert.equal(done.finished_operations, done.total_operations);
  // every operation ran exactly once and succeeded exactly once
  const runs = markerCounts(markers);
  assert.equal(runs.size, N * 3, [...runs.keys()].join(' '));
  for (const [op, n] of runs) assert.equal(n, 1, `${op} ran ${n} times`);
  const succeeded = new Map<string, number>();
  for (const e of await events(rest, ex.id)) {
    if (e.event_type !== 'task_succeeded') continue;
    const k = `${e.node_instance_id}.${e.operation.split('.').pop()}`;
    succeeded.set(k, (succeeded.get(k) ?? 0) + 1);
  }
  assert.equal(succeeded.size, N * 3);
  for (const [op, n] of succeeded) assert.equal(n, 1, `${op} succeeded ${n} times`);
  const nis = (
    await rest.call({ method: 'GET', url: `${API}/node-instances?deployment_id=w1&_size=100` })
  ).json().items as { state: string }[];
  assert.equal(nis.length, N);
  assert.ok(
    nis.every((i) => i.state === 'started'),
    nis.map((i) => i.state).join(' '),
  );
});
