// Server setup (PostgreSQL + RabbitMQ): the REST service and the worker run as separate processes.
// SIGKILL the worker during install and start another one: the broker redelivers the execution, the
// new worker resumes it from the stored task graph, and it ends terminated with no succeeded
// operation run twice.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { brokerUnavailable, startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { JOURNEY_FILES } from './fixtures.js';
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
import { checkRunCounts, markerCounts } from './resume-checks.js';

it('server setup: a worker killed during install is replaced and the execution resumes', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-resume-srv-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  const sleepFile = join(data, 'sleep');
  writeFileSync(sleepFile, '1');
  let pg: TestPostgres | undefined;
  let broker: TestBroker | undefined;
  let rest: ManagerProc | undefined;
  const workers: Proc[] = [];
  after(async () => {
    for (const w of workers) await w.kill();
    await rest?.kill();
    await broker?.stop();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  pg = await startPostgres();
  const admin = await openServer(parseDbUrl(pg.url));
  await admin.exec('CREATE DATABASE stratus_resume');
  await admin.close();
  const dbUrl = pg.url.replace(/\/postgres$/, '/stratus_resume');
  broker = await startBroker();
  const common = ['--data-dir', join(data, 'mgr'), '--db', dbUrl, '--amqp', broker.url];
  rest = await startManagerProcess(common);
  workers.push(await startWorkerProcess(common));

  await uploadBlueprint(rest, 'journey', JOURNEY_FILES);
  await createDeployment(rest, 's1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(rest, 's1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (files) => files.some((f) => f.startsWith('db_')),
    120_000,
    'db operations to begin',
  );
  await workers[0].kill('SIGKILL');
  writeFileSync(sleepFile, '0');
  workers.push(await startWorkerProcess(common));
  const done = await waitExecution(rest, ex.id, 180_000);
  assert.equal(done.status, 'terminated', done.error);
  assert.equal(done.resume, true);
  assert.equal(done.finished_operations, done.total_operations);
  checkRunCounts(await events(rest, ex.id), markerCounts(markers));
  const nis = (await rest.call({ method: 'GET', url: `${API}/node-instances?deployment_id=s1` })).json()
    .items as any[];
  assert.ok(nis.every((i) => i.state === 'started'));
});
