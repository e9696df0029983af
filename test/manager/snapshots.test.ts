// Snapshots over REST on both drivers: create (the create_snapshot workflow), list, get, download,
// upload, restore on a FRESH manager (its own data dir and secrets key), and uninstall of a restored
// deployment there, which runs the restored blueprint's scripts. Plus 5.1's refusals.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { forEachDriver } from '../helpers/drivers.js';
import { basic, startTestManager, type TestManager } from '../helpers/manager.js';
import {
  API,
  createDeployment,
  runWorkflow,
  startExecution,
  uploadBlueprint,
  waitExecution,
} from '../worker/helpers.js';

const BLUEPRINT = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/5.1/types.yaml]
inputs:
  marker: {type: string}
  nap: {type: string, default: '0'}
node_templates:
  vm:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: scripts/create.sh, inputs: {NAP: {get_input: nap}}}
        delete: {implementation: scripts/delete.sh, inputs: {MARKER: {get_input: marker}}}
`;
const CREATE = '#!/bin/sh\nsleep "$NAP"\nctx instance runtime-properties said "hello from create"\n';
const DELETE = '#!/bin/sh\necho "deleted $(ctx instance runtime-properties said)" > "$MARKER"\n';

async function json(
  m: TestManager,
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const r = await m.call({ method, url: `${API}${url}`, payload: payload as never });
  return { status: r.statusCode, body: r.body ? r.json() : null, raw: r };
}

forEachDriver('snapshots', (fx) => {
  let src: TestManager;
  let dst: TestManager;
  let scratch: string;
  let marker: string;
  let archive: Buffer;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'stratus-snap-'));
    marker = join(scratch, 'deleted.txt');
    src = await startTestManager(fx);
    dst = await startTestManager(fx);
    await uploadBlueprint(src, 'bp', {
      'blueprint.yaml': BLUEPRINT,
      'scripts/create.sh': CREATE,
      'scripts/delete.sh': DELETE,
    });
    await createDeployment(src, 'dep', 'bp', { marker });
    assert.equal((await runWorkflow(src, 'dep', 'install')).status, 'terminated');
    assert.equal((await json(src, 'PUT', '/secrets/db_password', { value: 's3cr3t!' })).status, 200);
    assert.equal((await json(src, 'PUT', '/users', { username: 'viv', password: 'pw-viv' })).status, 201);
    const add = { tenant_name: 'default_tenant', username: 'viv', role: 'viewer' };
    assert.equal((await json(src, 'PUT', '/tenants/users', add)).status, 200);
  });
  after(async () => {
    await src?.close();
    await dst?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates a snapshot as the create_snapshot system workflow, then lists, gets and downloads it', async () => {
    const r = await json(src, 'PUT', '/snapshots/snap1', {
      include_credentials: true,
      include_logs: true,
      include_events: true,
      queue: false,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.workflow_id, 'create_snapshot');
    assert.equal(r.body.is_system_workflow, true);
    assert.equal(r.body.parameters.snapshot_id, 'snap1');
    const done = await waitExecution(src, r.body.id);
    assert.equal(done.status, 'terminated', done.error);
    const got = await json(src, 'GET', '/snapshots/snap1');
    assert.equal(got.status, 200);
    assert.equal(got.body.status, 'created');
    assert.equal(got.body.visibility, 'private');
    assert.equal(got.body.created_by, 'admin');
    const list = await json(src, 'GET', '/snapshots?_sort=-created_at&status=created');
    assert.deepEqual(
      list.body.items.map((s: { id: string }) => s.id),
      ['snap1'],
    );
    assert.equal(list.body.metadata.pagination.total, 1);
    const execs = await json(
      src,
      'GET',
      '/executions?_include_system_workflows=true&workflow_id=create_snapshot',
    );
    assert.equal(execs.body.items.length, 1);
    const dl = await src.call({ method: 'GET', url: `${API}/snapshots/snap1/archive` });
    assert.equal(dl.statusCode, 200);
    archive = dl.rawPayload;
    assert.equal(Number(dl.headers['content-length']), archive.length);
    assert.ok(archive.length > 100);
    // The same id again is a conflict; an unknown one is 404.
    assert.equal((await json(src, 'PUT', '/snapshots/snap1', {})).status, 409);
    const missing = await json(src, 'GET', '/snapshots/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'Requested `Snapshot` with ID `nope` was not found');
  });

  it('refuses to restore on a non-empty manager without force, and leaves it as it was', async () => {
    const r = await json(src, 'POST', '/snapshots/snap1/restore', {
      recreate_deployments_envs: true,
      force: false,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const done = await waitExecution(src, r.body.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /non-empty manager is not permitted\. Pass the --force flag/);
    assert.equal((await json(src, 'GET', '/deployments/dep')).status, 200);
  });

  it('refuses a restore while another execution runs (existing_running_execution_error)', async () => {
    await createDeployment(src, 'slow', 'bp', { marker: join(scratch, 'slow.txt'), nap: '3' });
    const e = await startExecution(src, 'slow', 'install');
    const r = await json(src, 'POST', '/snapshots/snap1/restore', {
      recreate_deployments_envs: true,
      force: true,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error_code, 'existing_running_execution_error');
    assert.match(r.body.message, new RegExp(e.id));
    // Creating one refuses the same way; with queue it waits for the install, then runs.
    const c = await json(src, 'PUT', '/snapshots/snap2', {});
    assert.equal(c.body.error_code, 'existing_running_execution_error');
    assert.equal((await json(src, 'GET', '/snapshots/snap2')).status, 404);
    const q = await json(src, 'PUT', '/snapshots/snap2', { queue: true });
    assert.equal(q.status, 201, JSON.stringify(q.body));
    assert.equal(q.body.status, 'queued');
    assert.equal((await waitExecution(src, e.id)).status, 'terminated');
    assert.equal((await waitExecution(src, q.body.id)).status, 'terminated');
    assert.equal((await json(src, 'GET', '/snapshots/snap2')).body.status, 'created');
    assert.equal((await json(src, 'DELETE', '/snapshots/snap2')).status, 200);
  });

  it('rejects an upload that is not a snapshot archive with one line', async () => {
    const r = await dst.call({
      method: 'PUT',
      url: `${API}/snapshots/bad/archive`,
      payload: Buffer.from('not an archive'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error_code, 'bad_parameters_error');
    assert.doesNotMatch(r.json().message, /\n/);
    assert.equal((await json(dst, 'GET', '/snapshots/bad')).status, 404);
  });

  it('restores on a fresh manager (another key and data dir); the restored deployment uninstalls there', async () => {
    const up = await dst.call({
      method: 'PUT',
      url: `${API}/snapshots/snap1/archive`,
      payload: archive,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(up.statusCode, 201, up.body);
    assert.equal(up.json().status, 'uploaded');
    const r = await json(dst, 'POST', '/snapshots/snap1/restore', {
      recreate_deployments_envs: true,
      force: false,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.workflow_id, 'restore_snapshot');
    const done = await waitExecution(dst, r.body.id);
    assert.equal(done.status, 'terminated', done.error);
    // The data is there, the secret decrypts with the fresh manager's key, the snapshot row stays.
    assert.equal((await json(dst, 'GET', '/secrets/db_password')).body.value, 's3cr3t!');
    const dep = await json(dst, 'GET', '/deployments/dep');
    assert.equal(dep.status, 200);
    const nis = await json(dst, 'GET', '/node-instances?deployment_id=dep');
    assert.equal(nis.body.items[0].runtime_properties.said, 'hello from create');
    assert.equal(nis.body.items[0].state, 'started');
    assert.equal((await json(dst, 'GET', '/snapshots/snap1')).body.status, 'uploaded');
    const installs = await json(dst, 'GET', '/executions?deployment_id=dep&workflow_id=install');
    assert.equal(installs.body.items[0].status, 'terminated');
    // The restore execution itself is listed, with its events.
    const evs = await json(dst, 'GET', `/events?execution_id=${r.body.id}&_size=100`);
    assert.ok(evs.body.items.some((e: { event_type?: string }) => e.event_type === 'workflow_succeeded'));
    // Users come with their passwords and tenant roles; snapshots stay an admin's business.
    const viv = basic('viv', 'pw-viv');
    assert.equal((await dst.call({ method: 'GET', url: `${API}/deployments/dep`, as: viv })).statusCode, 200);
    const denied = await dst.call({ method: 'GET', url: `${API}/snapshots`, as: viv });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error_code, 'forbidden_error');
    // New rows get fresh ids after the restored ones.
    assert.equal((await json(dst, 'PUT', '/secrets/another', { value: 'x' })).status, 200);
    // Uninstall runs the restored blueprint's delete script on this manager.
    const un = await runWorkflow(dst, 'dep', 'uninstall');
    assert.equal(un.status, 'terminated', un.error);
    assert.ok(existsSync(marker));
    assert.equal(readFileSync(marker, 'utf8').trim(), 'deleted hello from create');
  });

  it('a restore that fails half-way leaves the manager as it was (one transaction)', async () => {
    // A valid archive with one more page of a table no snapshot holds: every row before it is
    // written in the restore's transaction, then the unknown table fails it.
    const broken = gzipSync(
      Buffer.concat([gunzipSync(archive), Buffer.from('\n{"table":"no_such_table","rows":[{}]}')]),
    );
    const up = await dst.call({
      method: 'PUT',
      url: `${API}/snapshots/broken/archive`,
      payload: broken,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(up.statusCode, 201, up.body);
    await json(dst, 'PUT', '/secrets/only_here', { value: 'kept' });
    const r = await json(dst, 'POST', '/snapshots/broken/restore', {
      recreate_deployments_envs: true,
      force: true,
    });
    const done = await waitExecution(dst, r.body.id);
    assert.equal(done.status, 'failed');
    assert.match(done.error, /unknown table "no_such_table"/);
    assert.equal((await json(dst, 'GET', '/secrets/only_here')).body.value, 'kept');
    assert.equal((await json(dst, 'GET', '/snapshots/broken')).body.status, 'uploaded');
    assert.equal((await json(dst, 'GET', '/deployments/dep')).status, 200);
  });

  it('deletes a snapshot; a failed one is neither downloaded nor restored (snapshot_action_error)', async () => {
    const patch = await dst.call({
      method: 'PATCH',
      url: `${API}/snapshots/snap1`,
      payload: { status: 'failed', error: 'x' },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    const dl = await json(dst, 'GET', '/snapshots/snap1/archive');
    assert.equal(dl.status, 400);
    assert.equal(dl.body.message, 'Failed snapshot cannot be downloaded');
    const rs = await json(dst, 'POST', '/snapshots/snap1/restore', {
      recreate_deployments_envs: true,
      force: true,
    });
    assert.equal(rs.body.error_code, 'snapshot_action_error');
    assert.equal((await json(dst, 'DELETE', '/snapshots/snap1')).status, 200);
    assert.equal((await json(dst, 'GET', '/snapshots/snap1')).status, 404);
  });
});
