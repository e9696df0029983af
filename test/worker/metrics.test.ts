// The worker's scrape-time gauges on a real embedded database: one query serves both gauges of a
// scrape, the counts are the database's, and a database that cannot be read leaves the figures out
// (NaN for the queue depth) while the scrape still answers with the rest.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { processRegistry } from '../../src/entry/metrics.js';
import { bootstrap } from '../../src/manager/bootstrap.js';
import { defaultConfig } from '../../src/manager/config.js';
import { openStore } from '../../src/store/open.js';
import { insertExecution } from '../../src/store/repositories/executions.js';
import type { Db } from '../../src/store/port.js';
import { workerMetrics } from '../../src/worker/metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'stratus-worker-metrics-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const line = (text: string, name: string) =>
  text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));

test('executions by status from one query per scrape; an unreadable database leaves them out', async () => {
  const db = await openStore({ dataDir: join(dir, 'db') });
  await bootstrap(db, defaultConfig({ dataDir: dir, adminPassword: 'metrics-test-pw' }));
  for (const [i, status] of ['queued', 'queued', 'terminated', 'started'].entries()) {
    await insertExecution(db, {
      id: `e${i}`,
      visibility: 'tenant',
      tenantId: 0,
      creatorId: 0,
      deploymentFk: null,
      blueprintId: null,
      workflowId: 'install',
      status,
      parameters: {},
      isSystemWorkflow: false,
      isDryRun: false,
      allowCustomParameters: false,
      token: `t${i}`,
    });
  }
  let queries = 0;
  const counted: Db = {
    ...db,
    driver: db.driver,
    query: (sql, params) => {
      if (/GROUP BY status/.test(sql)) queries++;
      return db.query(sql, params);
    },
    transaction: (fn) => db.transaction(fn),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  };
  const registry = processRegistry();
  const errors: unknown[] = [];
  workerMetrics(registry, counted, (err) => errors.push(err));
  const first = await registry.metrics();
  assert.equal(queries, 1, 'both gauges share one query');
  const expected = { queued: 2, terminated: 1, started: 1, failed: 0, pending: 0 };
  for (const [status, n] of Object.entries(expected)) {
    assert.equal(
      line(first, `stratus_executions{status="${status}"}`),
      `stratus_executions{status="${status}"} ${n}`,
    );
  }
  assert.equal(line(first, 'stratus_execution_queue_depth'), 'stratus_execution_queue_depth 2');
  assert.match(line(first, 'stratus_operations_total{result="succeeded"}') ?? '', / 0$/);
  await db.close();
  await new Promise((r) => setTimeout(r, 1100)); // past the 1 s reuse
  const broken = await registry.metrics();
  assert.equal(queries, 2);
  assert.ok(errors.length >= 1, 'the failed read is reported');
  assert.equal(line(broken, 'stratus_executions'), undefined, 'no stale counts');
  // prom-client writes "Nan"; Prometheus parses NaN in any case.
  assert.match(line(broken, 'stratus_execution_queue_depth') ?? '', /^stratus_execution_queue_depth nan$/i);
  assert.ok(line(broken, 'process_cpu_user_seconds_total'), 'the other metrics still answer');
});
