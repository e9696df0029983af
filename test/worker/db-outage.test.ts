// A database outage longer than the worker's retry window (here 2 s; PostgreSQL down for 6 s) in the
// middle of an install on a real PostgreSQL: the worker does not fail the execution and does not drop
// its message. Its run stops, the execution stays `started`, the message goes back to the queue, and
// once the database is back the execution resumes and ends terminated, with no operation that had
// succeeded run again.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
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
import { checkRunCounts, markerCounts } from './resume-checks.js';

const N = 10;

it('PostgreSQL down longer than the retry window mid-install: the execution is resumed, not failed', {
  timeout: 300_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-db-outage-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  let pg: TestPostgres | undefined;
  let db: Db | undefined;
  let m: TestManager | undefined;
  const window = process.env.STRATUS_WORKER_DB_RETRY_WINDOW_S;
  after(async () => {
    await m?.close();
    await db?.close();
    await pg?.stop();
    rmSync(data, { recursive: true, force: true });
    if (window === undefined) delete process.env.STRATUS_WORKER_DB_RETRY_WINDOW_S;
    else process.env.STRATUS_WORKER_DB_RETRY_WINDOW_S = window;
  });
  pg = await startPostgres();
  // statements wait at most 0.5 s for a server, so the outage reaches the worker's window quickly
  db = await openServer({ ...parseDbUrl(pg.url), leaderWaitMs: 500 });
  await migrate(db);
  const opened = db;
  process.env.STRATUS_WORKER_DB_RETRY_WINDOW_S = '2';
  m = await startTestManager({ name: 'server', open: async () => opened, lastLocation: () => ({}) });
  const api = m;

  await uploadBlueprint(api, 'wide', wideFiles(N, 1));
  await createDeployment(api, 'o1', 'wide', { marker_dir: markers });
  const ex = await startExecution(api, 'o1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (f) => f.some((x) => x.endsWith('.configure')),
    120_000,
    'the first configure',
  );
  await pg.restart(6000);
  const done = await waitExecution(api, ex.id, 180_000);
  assert.equal(done.status, 'terminated', done.error);
  assert.equal(done.resume, true, 'the execution was resumed after the outage');
  assert.equal(done.finished_operations, done.total_operations);
  checkRunCounts(await events(api, ex.id), markerCounts(markers));
  const nis = (
    await api.call({ method: 'GET', url: `${API}/node-instances?deployment_id=o1&_size=100` })
  ).json().items as { state: string }[];
  assert.equal(nis.length, N);
  assert.ok(
    nis.every((i) => i.state === 'started'),
    nis.map((i) => i.state).join(' '),
  );
});
