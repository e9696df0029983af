// Server setup, two workers: the broker connection of the worker running an install drops (its process
// lives on) and stays down. RabbitMQ hands the unacked workflow message to the other worker, which must
// not run the execution a second time: it waits while the first worker's claim is renewed, then finds
// the execution ended. Every operation runs exactly once.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { brokerUnavailable, startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type Relay, relay } from '../helpers/tcp-relay.js';
import { JOURNEY_FILES } from './fixtures.js';
import { createDeployment, startExecution, until, uploadBlueprint, waitExecution } from './helpers.js';
import { type ManagerProc, type Proc, startManagerProcess, startWorkerProcess } from './processes.js';
import { markerCounts } from './resume-checks.js';

it('a worker whose broker connection drops mid-install: the other worker does not run it again', {
  skip: brokerUnavailable(),
  timeout: 400_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-broker-drop-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  const sleepFile = join(data, 'sleep');
  writeFileSync(sleepFile, '1');
  let pg: TestPostgres | undefined;
  let broker: TestBroker | undefined;
  let rest: ManagerProc | undefined;
  let cut: Relay | undefined;
  const workers: Proc[] = [];
  after(async () => {
    for (const w of workers) await w.kill();
    await rest?.kill();
    await cut?.close();
    await broker?.stop();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  pg = await startPostgres();
  const admin = await openServer(parseDbUrl(pg.url));
  await admin.exec('CREATE DATABASE stratus_drop');
  await admin.close();
  const dbUrl = pg.url.replace(/\/postgres$/, '/stratus_drop');
  broker = await startBroker();
  cut = await relay(broker.port);
  const common = ['--data-dir', join(data, 'mgr'), '--db', dbUrl];
  rest = await startManagerProcess([...common, '--amqp', broker.url]);
  // Only the first worker is up when the install starts, so it takes the message (through the relay).
  const viaRelay = new URL(broker.url);
  viaRelay.port = String(cut.port);
  workers.push(await startWorkerProcess([...common, '--amqp', viaRelay.toString()]));
  await uploadBlueprint(rest, 'journey', JOURNEY_FILES);
  await createDeployment(rest, 'd1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(rest, 'd1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (files) => files.some((f) => f.startsWith('db_')),
    120_000,
    'operations to begin',
  );
  workers.push(await startWorkerProcess([...common, '--amqp', broker.url]));
  cut.cut();
  // The first worker is still mid-run while the second one has the message.
  await new Promise((r) => setTimeout(r, 5000));
  writeFileSync(sleepFile, '0');
  const done = await waitExecution(rest, ex.id, 180_000);
  assert.equal(done.status, 'terminated', done.error);
  const twice = [...markerCounts(markers)].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no operation ran twice');
  assert.ok(markerCounts(markers).size > 0);
});
