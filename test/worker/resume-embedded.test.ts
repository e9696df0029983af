// Embedded default: SIGKILL the whole all-in-one manager during install, start it again on the same
// data directory. The execution ends terminated and is marked resumed; no operation that had
// succeeded runs again, and the ones in flight run at most twice (counted with marker files).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export function markerCounts(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) out.set(f, readFileSync(join(dir, f), 'utf8').trim().split('\n').length);
  return out;
}

/** Checks the resume rules against the stored events and the marker files. */
export function checkRunCounts(evs: any[], markers: Map<string, number>): void {
  const resumedAt = evs.findIndex((e) => e.event_type === 'workflow_started' && /Resuming/.test(e.message));
  assert.ok(resumedAt > 0, 'a "Resuming" workflow_started event follows the first one');
  const succeededBefore = evs
    .slice(0, resumedAt)
    .filter((e) => e.event_type === 'task_succeeded' && !e.operation.includes('relationship_lifecycle'))
    .map((e) => `${e.node_instance_id}.${e.operation.split('.').pop()}`);
  assert.ok(succeededBefore.length > 0, 'some operations had succeeded before the kill');
  for (const op of succeededBefore) assert.equal(markers.get(op), 1, `${op} had succeeded and ran again`);
  for (const [op, n] of markers) assert.ok(n <= 2, `${op} ran ${n} times`);
}

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
