// The local Prometheus's federation targets follow the cluster registry: a manager writes
// other_managers/other_rabbits/other_postgres from the tables (itself and external nodes left out), and
// rewrites them when a broker or a manager is added or removed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { startTargetsSync } from '../../src/manager/cluster/monitoring-targets.js';
import { openEmbedded } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import { deleteBroker, insertBroker } from '../../src/store/repositories/brokers.js';
import { upsertManager } from '../../src/store/repositories/managers.js';
import { until } from '../worker/helpers.js';

const manager = (hostname: string, ip: string) => ({
  hostname,
  privateIp: ip,
  publicIp: ip,
  version: '5.1',
  edition: 'community',
  distribution: 'stratus',
  distroRelease: 'debian-12',
  networks: { default: ip },
});

it('federation targets follow the managers, brokers and db_nodes tables', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-targets-'));
  const db = await openEmbedded(join(dir, 'db'));
  let stop = () => {};
  after(async () => {
    stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrate(db);
  await upsertManager(db, manager('manager1', '10.0.0.31'));
  await upsertManager(db, manager('manager2', '10.0.0.32'));
  for (const [name, host] of [
    ['rabbit1', '10.0.0.21'],
    ['rabbit2', '10.0.0.22'],
  ] as const)
    assert.ok(await insertBroker(db, { name, host, port: 5671, networks: { default: host } }));
  await db.query(
    `INSERT INTO db_nodes (name, host, is_external) VALUES ('db1', '10.0.0.11', false), ('ext', '10.9.9.9', true)`,
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  stop = startTargetsSync(db, { dir, ownIp: '10.0.0.31', intervalMs: 200 });
  await until(
    async () => {
      try {
        return read('other_postgres.yml');
      } catch {
        return '';
      }
    },
    (t) => t !== '',
    10_000,
    'the first write',
  );
  assert.equal(read('other_managers.yml'), '- targets: ["10.0.0.32:8009"]\n  labels: {}\n');
  assert.equal(read('other_rabbits.yml'), '- targets: ["10.0.0.21:8009","10.0.0.22:8009"]\n  labels: {}\n');
  assert.equal(
    read('other_postgres.yml'),
    '- targets: ["10.0.0.11:8009"]\n  labels: {}\n',
    'no external node',
  );
  assert.equal(statSync(join(dir, 'other_managers.yml')).mode & 0o777, 0o644);

  const unchanged = statSync(join(dir, 'other_managers.yml')).mtimeMs;
  assert.ok(await insertBroker(db, { name: 'rabbit3', host: '10.0.0.23', port: 5671, networks: {} }));
  assert.equal(await deleteBroker(db, 'rabbit1'), 'deleted');
  await upsertManager(db, manager('manager3', '10.0.0.33'));
  await until(
    async () => read('other_rabbits.yml'),
    (t) => t.includes('10.0.0.23'),
    10_000,
    'rabbit3',
  );
  assert.equal(read('other_rabbits.yml'), '- targets: ["10.0.0.22:8009","10.0.0.23:8009"]\n  labels: {}\n');
  await until(
    async () => read('other_managers.yml'),
    (t) => t.includes('10.0.0.33'),
    10_000,
    'manager3',
  );
  assert.ok(statSync(join(dir, 'other_managers.yml')).mtimeMs > unchanged);
});
