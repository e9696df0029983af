// Server setup (PostgreSQL + RabbitMQ): the REST service and the worker run as separate processes.
// SIGKILL the worker during install and start another one: the broker redelivers the execution, the
// new worker resumes it from the stored task graph, and it ends terminated with no succeeded
// operation run twice.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { brokerUnavailable } from '../bus/rabbit-broker.js';
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
import { type Proc, startWorkerProcess } from './processes.js';
import { checkRunCounts, markerCounts } from './resume-checks.js';
import { startServerSetup } from './server-setup.js';

it('server setup: a worker killed during install is replaced and the execution resumes', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  const setup = await startServerSetup('resume-srv');
  const workers: Proc[] = [];
  after(async () => {
    for (const w of workers) await w.kill();
    await setup.stop();
  });
  const { rest, markers, common } = setup;
  const sleepFile = join(setup.dir, 'sleep');
  writeFileSync(sleepFile, '1');
  await uploadBlueprint(rest, 'journey', JOURNEY_FILES);
  await createDeployment(rest, 's1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(rest, 's1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (files) => files.some((f) => f.startsWith('db_')),
    120_000,
    'db operations to begin',
  );
  await setup.worker.kill('SIGKILL');
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
