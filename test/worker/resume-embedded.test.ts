// Embedded default: SIGKILL the whole all-in-one manager during install, start it again on the same
// data directory. The execution ends terminated and is marked resumed; no operation that had
// succeeded runs again, and the ones in flight run at most twice (counted with marker files).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
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
import { type ManagerProc, startManagerProcess } from './processes.js';
import { checkRunCounts, markerCounts } from './resume-checks.js';

it('embedded: a manager killed during install resumes it after a restart', { timeout: 300_000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-resume-'));
  const markers = join(data, 'markers');
  const sleepFile = join(data, 'sleep');
  writeFileSync(sleepFile, '1');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(markers);
  let m: ManagerProc | undefined;
  after(async () => {
    await m?.kill();
    rmSync(data, { recursive: true, force: true });
  });
  m = await startManagerProcess(['--data-dir', join(data, 'mgr')]);
  await uploadBlueprint(m, 'journey', JOURNEY_FILES);
  await createDeployment(m, 'r1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(m, 'r1', 'install');
  // kill once the hosts are done and the dbs are running (host start succeeded ⇒ 6+ markers)
  await until(
    async () => [...markerCounts(markers).keys()],
    (files) => files.filter((f) => f.startsWith('db_')).length >= 1,
    120_000,
    'db operations to begin',
  );
  await m.kill('SIGKILL');
  writeFileSync(sleepFile, '0');
  m = await startManagerProcess(['--data-dir', join(data, 'mgr')]);
  const done = await waitExecution(m, ex.id, 180_000);
  assert.equal(done.status, 'terminated', done.error);
  assert.equal(done.resume, true);
  assert.equal(done.finished_operations, done.total_operations);
  checkRunCounts(await events(m, ex.id), markerCounts(markers));
  const nis = (await m.call({ method: 'GET', url: `${API}/node-instances?deployment_id=r1` })).json()
    .items as any[];
  assert.ok(
    nis.every((i) => i.state === 'started'),
    JSON.stringify(nis.map((i) => i.state)),
  );
});
