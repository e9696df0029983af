// Closing an all-in-one manager mid-install (SIGTERM path: Manager.close → Worker.stop) abandons the
// running execution without writing an end status; the next manager on the same data directory
// re-sends it to its worker, which resumes it from the stored graph.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { defaultConfig } from '../../src/manager/config.js';
import { createManager, type Manager } from '../../src/entry/manager.js';
import { ADMIN_PASSWORD, adminAuth } from '../helpers/manager.js';
import { JOURNEY_FILES } from './fixtures.js';
import {
  type Caller,
  createDeployment,
  events,
  startExecution,
  until,
  uploadBlueprint,
  waitExecution,
} from './helpers.js';
import { checkRunCounts, markerCounts } from './resume-checks.js';

const caller = (m: Manager): Caller => ({
  call: (o) =>
    m.app.inject({
      ...o,
      headers: { authorization: adminAuth, tenant: 'default_tenant', ...o.headers },
    }) as never,
});

it('a manager closed during install leaves it to the next one, which resumes it', {
  timeout: 240_000,
}, async () => {
  const data = mkdtempSync(join(tmpdir(), 'stratus-stop-'));
  const markers = join(data, 'markers');
  mkdirSync(markers);
  const sleepFile = join(data, 'sleep');
  writeFileSync(sleepFile, '1');
  const config = defaultConfig({ dataDir: join(data, 'mgr'), adminPassword: ADMIN_PASSWORD });
  let m: Manager | undefined;
  after(async () => {
    await m?.close();
    rmSync(data, { recursive: true, force: true });
  });
  m = await createManager(config);
  let c = caller(m);
  await uploadBlueprint(c, 'journey', JOURNEY_FILES);
  await createDeployment(c, 'g1', 'journey', { marker_dir: markers, sleep_file: sleepFile });
  const ex = await startExecution(c, 'g1', 'install');
  await until(
    async () => [...markerCounts(markers).keys()],
    (files) => files.some((f) => f.startsWith('db_')),
    120_000,
    'db operations to begin',
  );
  await m.close();
  m = undefined;
  writeFileSync(sleepFile, '0');
  m = await createManager(config);
  c = caller(m);
  const done = await waitExecution(c, ex.id, 180_000);
  assert.equal(done.status, 'terminated', done.error);
  assert.equal(done.resume, true);
  checkRunCounts(await events(c, ex.id), markerCounts(markers));
});
