// The first manager's sanity check (cfy_manager.md §6.9) against a real manager built in-process (its
// REST app, its in-process worker, both storage drivers): the built-in blueprint goes through upload,
// deployment, install, uninstall and both deletes, leaving nothing behind; a refusal is one line naming
// the step and never shows the password.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { runSanityCheck, type Send } from '../../src/installer/components/manager/sanity.js';
import type { Config } from '../../src/installer/config/schema.js';
import { Logger, setupLogging } from '../../src/installer/log.js';
import { forEachDriver } from '../helpers/drivers.js';
import { ADMIN_PASSWORD, startTestManager, type TestManager } from '../helpers/manager.js';

const config = { manager: { security: { admin_username: 'admin' } } } as Config;
const log = new Logger('sanity-test');
const work = mkdtempSync(join(tmpdir(), 'stratus-sanity-'));
const marker = join(work, 'sanity_mode');
before(() => setupLogging({ file: false, console: false }));
after(() => rmSync(work, { recursive: true, force: true }));

/** The requests the check makes, through the app's inject (same routes, auth and tenant headers). */
const calls: { method: string; path: string; answer: string }[] = [];
const over =
  (m: TestManager): Send =>
  async (q) => {
    const r = await m.app.inject({
      method: q.method as 'GET',
      url: q.path,
      payload: q.body,
      headers: { ...q.headers, authorization: `Basic ${Buffer.from(q.auth).toString('base64')}` },
    });
    calls.push({ method: q.method, path: q.path, answer: r.body });
    return { status: r.statusCode, body: r.body };
  };

forEachDriver('sanity check', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
  });
  after(async () => {
    await m?.close();
  });

  it('upload, deployment, install, uninstall and both deletes pass, and leave nothing behind', async () => {
    calls.length = 0;
    const ms = await runSanityCheck(config, ADMIN_PASSWORD, log, { send: over(m), marker });
    log.info(`sanity check [${fx.name}]: ${ms} ms`);
    process.stdout.write(`# sanity check [${fx.name}]: ${ms} ms\n`);
    // A manager runs on PostgreSQL; PGlite (embedded) is slower and not what an install uses.
    if (fx.name === 'server') assert.ok(ms < 10_000, `${ms} ms`);
    for (const kind of ['blueprints', 'deployments']) {
      const r = await m.call({ method: 'GET', url: `/api/v3.1/${kind}` });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(JSON.parse(r.body).items, [], `no ${kind} left`);
    }
    const changes = calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path.split('?')[0]}`);
    assert.deepEqual(
      changes.map((c) => c.replace(/sanity_[0-9a-f]{32}/, 'ID')),
      [
        'PUT /api/v3.1/blueprints/ID_bp',
        'PUT /api/v3.1/deployments/ID',
        'POST /api/v3.1/executions',
        'POST /api/v3.1/executions',
        'DELETE /api/v3.1/deployments/ID',
        'DELETE /api/v3.1/blueprints/ID_bp',
      ],
    );
    const ended = calls.filter(
      (c) => /\/executions\/./.test(c.path) && /"status":"terminated"/.test(c.answer),
    );
    assert.deepEqual(
      ended.map((c) => JSON.parse(c.answer).workflow_id),
      ['install', 'uninstall'],
      'both workflows were seen terminated',
    );
    assert.ok(!existsSync(marker), 'the sanity_mode marker is removed');
  });

  it('a wrong admin password: one line naming the step, without the password', async () => {
    await assert.rejects(
      runSanityCheck(config, 'not-the-admin-password', log, { send: over(m), marker }),
      (err: Error) => {
        assert.match(err.message, /^Sanity check failed: upload blueprint: 401 /);
        assert.equal(err.message.split('\n').length, 1, err.message);
        assert.doesNotMatch(err.message, /not-the-admin-password/);
        return true;
      },
    );
    assert.ok(!existsSync(marker));
  });
});
