// Server setup, brokers followed from the registry: the REST service and the worker start on broker A
// (the URL's only broker, with --amqp-follow-registry), broker B is registered through POST /brokers,
// then A dies for good. Both processes reconnect to B, which only the registry named, and a deployment
// is created and installed through it. Without the registry they would keep retrying A.
// (A and B are TCP relays to one RabbitMQ: what is under test is where the bus connects.)
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
import { API, createDeployment, startExecution, until, uploadBlueprint, waitExecution } from './helpers.js';
import { type ManagerProc, type Proc, startManagerProcess, startWorkerProcess } from './processes.js';

it("a broker registered through POST /brokers takes over when the URL's broker dies", {
  skip: brokerUnavailable(),
  timeout: 300_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-broker-registry-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  const sleepFile = join(data, 'sleep');
  writeFileSync(sleepFile, '0');
  let pg: TestPostgres | undefined;
  let broker: TestBroker | undefined;
  let rest: ManagerProc | undefined;
  let worker: Proc | undefined;
  const relays: Relay[] = [];
  after(async () => {
    await worker?.kill();
    await rest?.kill();
    for (const r of relays) await r.close();
    await broker?.stop();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
  });
  pg = await startPostgres();
  const admin = await openServer(parseDbUrl(pg.url));
  await admin.exec('CREATE DATABASE stratus_registry');
  await admin.close();
  const dbUrl = pg.url.replace(/\/postgres$/, '/stratus_registry');
  broker = await startBroker();
  const [a, b] = [await relay(broker.port), await relay(broker.port)];
  relays.push(a, b);
  const viaA = new URL(broker.url);
  viaA.port = String(a.port);
  const args = [
    '--data-dir',
    join(data, 'mgr'),
    '--db',
    dbUrl,
    '--amqp',
    viaA.toString(),
    '--amqp-follow-registry',
  ];
  rest = await startManagerProcess(args);
  worker = await startWorkerProcess(args);

  const added = await rest.call({
    method: 'POST',
    url: `${API}/brokers`,
    payload: { name: 'broker-b', address: '127.0.0.1', port: b.port },
  });
  assert.equal(added.statusCode, 200, added.body);
  a.cut();
  const onB = `connected to RabbitMQ 127.0.0.1:${b.port}`;
  for (const p of [rest, worker]) {
    await until(
      async () => p.output(),
      (out) => out.includes(onB),
      60_000,
      `a reconnect to ${onB}`,
    );
    // The registry: the URL's broker (the REST service registered it as its own) and broker B.
    assert.match(
      p.output(),
      new RegExp(`RabbitMQ brokers now [^(]*127\\.0\\.0\\.1:${b.port}[^(]* \\(from the registry\\)`),
    );
  }

  await uploadBlueprint(rest, 'journey', JOURNEY_FILES);
  await createDeployment(rest, 'd1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(rest, 'd1', 'install');
  const done = await waitExecution(rest, ex.id, 120_000);
  assert.equal(done.status, 'terminated', done.error);
});
