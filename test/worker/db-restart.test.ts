// Server setup (PostgreSQL + RabbitMQ, REST service and worker as separate processes): PostgreSQL is
// restarted (`pg_ctl restart -m fast`, every session terminated, down for a moment; then a fast stop
// and a start 1.5 s later) three times during an install of 20 instances, once in each phase. The worker's store calls ride the outage out: the execution ends
// terminated, every instance is started, and no operation ran or succeeded twice.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { brokerUnavailable, startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
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
import { type ManagerProc, type Proc, startManagerProcess, startWorkerProcess } from './processes.js';
import { markerCounts } from './resume-checks.js';

const N = 20;

it('PostgreSQL restarted three times mid-install: the install finishes normally, nothing runs twice', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-db-restart-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  let pg: TestPostgres | undefined;
  let broker: TestBroker | undefined;
  let rest: ManagerProc | undefined;
  let worker: Proc | undefined;
  after(async () => {
    await worker?.kill();
    await rest?.kill();
    await broker?.stop();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  pg = await startPostgres();
  const admin = await openServer(parseDbUrl(pg.url));
  await admin.exec('CREATE DATABASE stratus_restart');
  await admin.close();
  const dbUrl = pg.url.replace(/\/postgres$/, '/stratus_restart');
  broker = await startBroker();
  const common = ['--data-dir', join(data, 'mgr'), '--db', dbUrl, '--amqp', broker.url];
  rest = await startManagerProcess(common);
  worker = await startWorkerProcess(common);

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
