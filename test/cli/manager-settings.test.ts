// `cfy maintenance-mode`, `cfy sites`, `cfy agents list` and `cfy tokens get` as child processes against
// a manager process (`cfy_manager serve`), with 5.1's lines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Cfy, json, makeCfy, type ManagerProcess, startManager, useArgs } from './helpers.js';

describe('5.1 manager commands against a real manager', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  before(async () => {
    m = await startManager();
    const use = await cfy(useArgs(m.port));
    assert.equal(use.code, 0, use.stderr);
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('maintenance-mode status, activate, blocked requests, deactivate', async () => {
    const off = await cfy(['maintenance-mode', 'status']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout + off.stderr, /Maintenance Mode Status:\s+Status:\s+deactivated/);
    const bad = await cfy(['maintenance-mode', 'activate', '--timeout', '5']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /'--timeout' was used without '--wait'/);
    const on = await cfy(['maintenance-mode', 'activate', '--wait']);
    assert.equal(on.code, 0, on.stderr);
    assert.match(
      on.stdout + on.stderr,
      /Entering maintenance mode\.\.\.[\s\S]*Manager is in maintenance mode\./,
    );
    const st = await cfy(['maintenance-mode', 'status']);
    assert.match(st.stdout + st.stderr, /Status:\s+activated/);
    assert.match(st.stdout + st.stderr, /Requested By:\s+admin/);
    assert.match(st.stdout + st.stderr, /Cloudify Manager is currently in maintenance mode/);
    const asJson = json(await cfy(['maintenance-mode', 'status', '--json']));
    assert.equal(asJson.status, 'activated');
    const status = await cfy(['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout + status.stderr, /Maintenance mode is activated\./);
    const blocked = await cfy(['blueprints', 'list']);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /maintenance mode/);
    assert.doesNotMatch(blocked.stderr, /^\s+at /m);
    const offAgain = await cfy(['maintenance-mode', 'deactivate']);
    assert.equal(offAgain.code, 0, offAgain.stderr);
    assert.match(offAgain.stdout + offAgain.stderr, /Maintenance mode is off\./);
    assert.equal((await cfy(['blueprints', 'list'])).code, 0);
  });

  test('sites create, list, get, update, delete', async () => {
    const c = await cfy(['sites', 'create', 'tlv', '--location', '32.07,34.78']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout + c.stderr, /Site `tlv` created/);
    const list = json<{ name: string; location: string; visibility: string }[]>(
      await cfy(['sites', 'list', '--json']),
    );
    assert.deepEqual(
      list.map((s) => [s.name, s.location, s.visibility]),
      [['tlv', '32.07, 34.78', 'tenant']],
    );
    const plain = await cfy(['sites', 'list']);
    assert.match(plain.stdout, /Sites:/);
    assert.match(plain.stdout + plain.stderr, /Showing 1 of 1 sites/);
    const u = await cfy(['sites', 'update', 'tlv', '-n', 'telaviv', '-l', 'global']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout + u.stderr, /Site `tlv` updated/);
    const got = json(await cfy(['sites', 'get', 'telaviv', '--json']));
    assert.equal(got.visibility, 'global');
    const badLoc = await cfy(['sites', 'create', 'x1', '--location', 'north']);
    assert.notEqual(badLoc.code, 0);
    assert.match(badLoc.stderr, /Invalid location/);
    const d = await cfy(['sites', 'delete', 'telaviv']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout + d.stderr, /Site deleted/);
    const gone = await cfy(['sites', 'get', 'telaviv']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Site.*telaviv.*not found/);
  });

  test('config list and update: schema checks and ambiguous names fail in one line', async () => {
    const entries = json<{ name: string; scope: string; value: unknown; updated_at: string }[]>(
      await cfy(['config', 'list', '--json']),
    );
    assert.deepEqual(
      entries.find((e) => e.name === 'default_page_size'),
      {
        name: 'default_page_size',
        value: 1000,
        scope: 'rest',
        updated_at: entries[0]!.updated_at,
        is_editable: true,
      },
    );
    const u = await cfy(['config', 'update', 'agent.heartbeat=45']);
    assert.equal(u.code, 0, u.stderr);
    assert.match(u.stdout + u.stderr, /Updated agent\.heartbeat to 45/);
    assert.match(u.stdout + u.stderr, /only take effect for agents installed from now on/);
    const after = json<{ name: string; scope: string; value: unknown }[]>(
      await cfy(['config', 'list', '--json']),
    );
    assert.equal(after.find((e) => e.scope === 'agent' && e.name === 'heartbeat')!.value, 45);
    for (const [arg, pattern] of [
      ['agent.heartbeat=abc', /is not of type 'number'/],
      ['max_workers=3', /prefix the scope/],
    ] as const) {
      const r = await cfy(['config', 'update', arg]);
      assert.notEqual(r.code, 0, arg);
      assert.match(r.stderr, pattern, arg);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    }
  });

  test('agents list is empty with its columns; tokens get answers a working token', async () => {
    const a = await cfy(['agents', 'list', '--deployment-id', 'd1', '--node-id', 'vm,db']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Agents:/);
    assert.match(a.stdout, /install_method/);
    assert.deepEqual(json(await cfy(['agents', 'list', '--json'])), []);
    const t = json(await cfy(['tokens', 'get', '--json']));
    assert.equal(t.role, 'sys_admin');
    assert.match(t.value, /^ctok-/);
    const r = await fetch(`http://127.0.0.1:${m.port}/api/v3.1/status`, {
      headers: { 'Authentication-Token': t.value },
    });
    assert.equal(r.status, 200);
  });
});
