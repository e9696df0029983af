// Shared steps of the worker tests, named for what a user does over REST: upload a blueprint folder,
// create a deployment, start an execution and wait for it, read its events. Every wait has a deadline.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create as tarCreate } from 'tar';

export interface Caller {
  call(opts: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    payload?: any;
    headers?: Record<string, string>;
  }): Promise<{ statusCode: number; json(): any; body: string }>;
}

export const API = '/api/v3.1';

/** Writes files (path → text; scripts made executable) into a fresh folder `<tmp>/bp`. */
export function blueprintDir(files: Record<string, string>): { parent: string; dir: string } {
  const parent = mkdtempSync(join(tmpdir(), 'stratus-bp-'));
  const dir = join(parent, 'bp');
  for (const [p, text] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    if (/\.(sh|py)$/.test(p) || text.startsWith('#!')) chmodSync(full, 0o755);
  }
  return { parent, dir };
}

export async function uploadBlueprint(m: Caller, id: string, files: Record<string, string>): Promise<void> {
  const { parent } = blueprintDir(files);
  try {
    const archive = join(parent, 'bp.tar.gz');
    await tarCreate({ gzip: true, file: archive, cwd: parent, portable: true }, ['bp']);
    const r = await m.call({
      method: 'PUT',
      url: `${API}/blueprints/${id}?application_file_name=blueprint.yaml`,
      payload: readFileSync(archive),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.statusCode, 201, r.body);
    await until(
      async () => (await m.call({ method: 'GET', url: `${API}/blueprints/${id}` })).json(),
      (b) => b.state === 'uploaded' || b.state?.includes('fail') || b.state === 'invalid',
      30_000,
      `blueprint ${id} upload`,
    ).then((b) => assert.equal(b.state, 'uploaded', JSON.stringify(b)));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

export async function until<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const END = new Set(['terminated', 'failed', 'cancelled']);

export async function waitExecution(m: Caller, id: string, timeoutMs = 60_000, ok?: (e: any) => boolean) {
  return until(
    async () => (await m.call({ method: 'GET', url: `${API}/executions/${id}` })).json(),
    ok ?? ((e) => END.has(e.status)),
    timeoutMs,
    `execution ${id}`,
  );
}

export async function createDeployment(
  m: Caller,
  id: string,
  blueprintId: string,
  inputs: Record<string, unknown> = {},
) {
  const r = await m.call({
    method: 'PUT',
    url: `${API}/deployments/${id}`,
    payload: { blueprint_id: blueprintId, inputs },
  });
  assert.equal(r.statusCode, 201, r.body);
  const execs = await until(
    async () =>
      (
        await m.call({
          method: 'GET',
          url: `${API}/executions?deployment_id=${id}&workflow_id=create_deployment_environment&_include_system_workflows=true`,
        })
      ).json().items as any[],
    (items) => items.length > 0 && END.has(items[0].status),
    30_000,
    `create_deployment_environment of ${id}`,
  );
  assert.equal(execs[0].status, 'terminated', JSON.stringify(execs[0]));
}

export async function startExecution(
  m: Caller,
  deploymentId: string,
  workflowId: string,
  parameters: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<any> {
  const r = await m.call({
    method: 'POST',
    url: `${API}/executions`,
    payload: { deployment_id: deploymentId, workflow_id: workflowId, parameters, ...extra },
  });
  assert.ok(r.statusCode === 201 || r.statusCode === 200, r.body);
  return r.json();
}

export async function runWorkflow(
  m: Caller,
  deploymentId: string,
  workflowId: string,
  parameters: Record<string, unknown> = {},
  timeoutMs = 60_000,
  extra: Record<string, unknown> = {},
) {
  const e = await startExecution(m, deploymentId, workflowId, parameters, extra);
  return waitExecution(m, e.id, timeoutMs);
}

export async function events(
  m: Caller,
  executionId: string,
  type: 'cloudify_event' | 'cloudify_log' = 'cloudify_event',
) {
  const r = await m.call({
    method: 'GET',
    url: `${API}/events?execution_id=${executionId}&type=${type}&_size=10000`,
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().items as any[];
}

/** Index of the first event matching. */
export function at(evs: any[], type: string, instance: string, op: string): number {
  const i = evs.findIndex(
    (e) => e.event_type === type && e.node_instance_id === instance && (e.operation ?? '').endsWith(op),
  );
  assert.ok(i >= 0, `no ${type} for ${instance} ${op}`);
  return i;
}

/** a's op succeeded before b's op started. */
export function before(evs: any[], a: [string, string], b: [string, string]): void {
  const ia = at(evs, 'task_succeeded', a[0], a[1]);
  const ib = at(evs, 'task_started', b[0], b[1]);
  assert.ok(ia < ib, `${a.join('.')} (succeeded #${ia}) should come before ${b.join('.')} (started #${ib})`);
}
