// A test run killed before its cleanup leaves a lab behind; the next run's helper removes it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Lab } from '../../src/lab/lab.js';
import { netnsNames } from '../../src/lab/net.js';
import { pickNetwork, sweepAbandonedTestLabs } from '../../src/lab/testing.js';

const skip = process.getuid?.() === 0 ? false : 'needs root: the lab creates namespaces and a bridge';

test('a lab abandoned by a dead test process is swept by the next run', {
  skip,
  timeout: 30_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-lab-test-'));
  const net = await pickNetwork();
  const lab = new Lab({ stateDir: join(dir, 'state'), ...net });
  try {
    writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: process.pid, start: 0 })); // start 0: not us
    await lab.up('all-in-one');
    assert.ok((await netnsNames()).has(`${net.bridge}-manager`));
    const swept = await sweepAbandonedTestLabs();
    assert.ok(swept.includes(dir));
    assert.equal((await netnsNames()).has(`${net.bridge}-manager`), false);
    assert.equal(existsSync(`/sys/class/net/${net.bridge}`), false);
    assert.equal(existsSync(dir), false);
  } finally {
    await lab.down().catch(() => undefined);
  }
});
