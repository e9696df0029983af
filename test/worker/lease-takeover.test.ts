// Lease takeover: the worker running an install (its own process, taking executions from RabbitMQ) is
// SIGKILLed, and no other worker consumes that queue, so nothing brings the message back. Another
// worker (in this process, on a bus of its own) has only its sweeper: once the dead worker's lease has
// lapsed and stayed lapsed for a lease length, the sweeper resumes the execution, which ends terminated
// with every instance started and no operation that had succeeded run again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createInProcessBus } from '../../src/bus/in-process.js';
import { busDispatcher } from '../../src/executions/dispatch.js';
import { Lifecycle } from '../../src/executions/lifecycle.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startWorker, type Worker } from '../../src/worker/worker.js';
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
import { checkRunCounts, markerCounts } from './resume-checks.js';
import { startServerSetup } from './server-setup.js';

const N = 10;

it('a worker killed mid-install: another worker sweeps the execution up once its lease lapsed', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  let db: Db | undefined;
  let sweeperWorker: Worker | undefined;
  const setup = await startServerSetup('lease');
  after(async () => {
    await sweeperWorker?.stop();
    await db?.close();
    await setup.stop();
  });
  const { rest, worker: killed, markers, dbUrl, dataDir: mgrDir } = setup;
  await uploadBlueprint(rest, 'wide', wideFiles(N, 2));
  await createDeployment(rest, 'k1', 'wide', { marker_dir: markers });

  // The second worker: the same database and files, a bus nobody else publishes on.
  db = await openServer(parseDbUrl(dbUrl));
  const bus = createInProcessBus();
  const lifecycle = new Lifecycle({
    db,
    settings: { maxConcurrentWorkflows: 20 },
    dispatcher: busDispatcher(db, bus, { restHost: '127.0.0.1', restPort: 1 }),
  });
  sweeperWorker = await startWorker({
    db,
    bus,
    lifecycle,
    resourcesDir: join(mgrDir, 'resources'),
    sweepMs: 500,
  });

  const ex = await startExecution(rest, 'k1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (f) => f.some((x) => x.endsWith('.configure')),
    120_000,
    'the first configure',
  );
  await killed.kill('SIGKILL');
  const killedAt = Date.now();
  const done = await waitExecution(rest, ex.id, 180_000);
  const tookMs = Date.now() - killedAt;
  assert.equal(done.status, 'terminated', done.error);
  assert.equal(done.resume, true);
  assert.equal(done.finished_operations, done.total_operations);
  // the lease (6 s) lapsed, then stayed lapsed for another lease length before the takeover
  assert.ok(tookMs >= 10_000, `taken over after ${tookMs} ms`);
  // The worker releases its lease just after it stored the end status.
  const row = await until(
    async () =>
      (
        await db!.query<{ swept_at: unknown; lease_owner: unknown }>(
          'SELECT swept_at, lease_owner FROM executions WHERE id = $1',
          [ex.id],
        )
      )[0],
    (r) => r.lease_owner === null,
    5_000,
    'the lease released once the execution ended',
  );
  assert.ok(row.swept_at, 'a sweeper took the execution over');
  checkRunCounts(await events(rest, ex.id), markerCounts(markers));
  const nis = (
    await rest.call({ method: 'GET', url: `${API}/node-instances?deployment_id=k1&_size=100` })
  ).json().items as { state: string }[];
  assert.equal(nis.length, N);
  assert.ok(
    nis.every((i) => i.state === 'started'),
    nis.map((i) => i.state).join(' '),
  );
});
