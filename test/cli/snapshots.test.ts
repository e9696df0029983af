// `cfy snapshots create|list|download|upload|restore|status|delete` as child processes against two
// manager processes with their own data dirs (so their own secrets keys): a snapshot of the first is
// restored on the second, whose `cfy uninstall` then runs the restored blueprint's scripts.
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Cfy, FIXTURES, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

const HELLO = join(FIXTURES, 'hello_scripts');

async function waitEnded(cfy: Cfy, id: string): Promise<{ status: string; error: string }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await cfy(['executions', 'get', id, '--json']);
    const e = json(r);
    if (['terminated', 'completed', 'failed', 'cancelled'].includes(e.status)) return e;
    if (Date.now() > deadline) throw new Error(`execution ${id} still ${e.status}`);
    await new Promise((res) => setTimeout(res, 300));
  }
}

const startedId = (out: string) => {
  const m = /Started workflow execution\. The execution's id is ([0-9a-f-]{36})\./.exec(out);
  assert.ok(m, out);
  return m[1]!;
};

describe('cfy snapshots across two managers', () => {
  let m1: ManagerProcess;
  let m2: ManagerProcess;
  const cfy1 = makeCfy();
  const cfy2 = makeCfy();
  let file = '';
  before(async () => {
    [m1, m2] = await Promise.all([startManager(), startManager()]);
    assert.equal((await cfy1(useArgs(m1.port))).code, 0);
    assert.equal((await cfy2(useArgs(m2.port))).code, 0);
    const inst = await cfy1([
      'install',
      join(HELLO, 'blueprint.yaml'),
      '-b',
      'hs',
      '-d',
      'hs',
      '-i',
      'greeting=hi',
    ]);
    assert.equal(inst.code, 0, inst.stderr);
    assert.equal((await cfy1(['secrets', 'create', 's1', '-s', 'v1'])).code, 0);
  });
  after(async () => {
    await Promise.all([m1?.stop(), m2?.stop()]);
    cfy1.cleanup();
    cfy2.cleanup();
  });

  test('create, list and download on the first manager', async () => {
    const c = await cfy1(['snapshots', 'create', 'snap1']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^Creating snapshot snap1\.\.\.$/m);
    const done = await waitEnded(cfy1, startedId(c.stdout));
    assert.equal(done.status, 'completed', done.error);
    const l = await cfy1(['snapshots', 'list']);
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /Listing snapshots\.\.\./);
    assert.match(
      l.stdout,
      /\| +id +\| +created_at +\| +status +\| +error +\| +visibility +\| +tenant_name +\| +created_by +\|/,
    );
    assert.match(l.stdout, /\| snap1 +\|.*\| created +\|/);
    assert.match(l.stdout, /Showing 1 of 1 snapshots/);
    const sys = json(await cfy1(['executions', 'list', '--include-system-workflows', '--json']));
    assert.ok(sys.some((e: { workflow_id: string }) => e.workflow_id === 'create_snapshot'));
    file = join(cfy1.workdir, 'snap1.zip');
    const d = await cfy1(['snapshots', 'download', 'snap1', '-o', file]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, new RegExp(`Snapshot downloaded as ${file}`));
    assert.ok(statSync(file).size > 0);
  });

  test('upload and restore on a fresh manager; its uninstall runs the restored scripts', async () => {
    const bad = join(cfy2.workdir, 'bad.zip');
    writeFileSync(bad, 'nope');
    const b = await cfy2(['snapshots', 'upload', bad, '-s', 'bad']);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr.trim().split('\n')[0]!, /not a Stratus snapshot archive/);
    assert.doesNotMatch(b.stderr, /^\s+at /m);
    const u = await cfy2(['snapshots', 'upload', file, '-s', 'snap1']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout, /Uploading snapshot .*snap1\.zip\.\.\./);
    assert.match(u.stdout, /Snapshot uploaded\. The snapshot's id is snap1/);
    const r = await cfy2(['snapshots', 'restore', 'snap1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /You can use `cfy snapshots status` to check for the restore status\./);
    const done = await waitEnded(cfy2, startedId(r.stdout));
    assert.equal(done.status, 'completed', done.error);
    const st = await cfy2(['snapshots', 'status']);
    assert.match(st.stdout, /No snapshot is currently being restored/);
    assert.equal(json(await cfy2(['secrets', 'get', 's1', '--json'])).value, 'v1');
    const un = await cfy2(['uninstall', 'hs']);
    assert.equal(un.code, 0, un.stderr + un.stdout);
    assert.match(un.stdout, /'uninstall' workflow execution succeeded/);
    const del = await cfy2(['snapshots', 'delete', 'snap1']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /Snapshot deleted successfully/);
    const again = await cfy2(['snapshots', 'restore', 'snap1']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Requested `Snapshot` with ID `snap1` was not found/);
    assert.ok(existsSync(file));
  });
});
