// The sanity check of the first manager's install (cfy_manager.md §6.9), through the manager's own REST
// API on the internal port with the admin credentials (in the Authorization header only): upload the
// built-in blueprint sanity-blueprint.yaml, create a deployment, run install and uninstall, delete the
// deployment and the blueprint. A failure is one line naming the step, and the install fails.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.js';
import { BootstrapError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { DATA_DIR } from './render.js';
import { restCall } from './rest.js';

const SANITY_BLUEPRINT = fileURLToPath(new URL('./sanity-blueprint.yaml', import.meta.url));
const SANITY_MARKER = join(DATA_DIR, 'sanity_mode');
const API = '/api/v3.1';
const TERMINAL = ['terminated', 'failed', 'cancelled'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Call = (
  step: string,
  method: string,
  path: string,
  body?: Buffer | object,
) => Promise<Record<string, any> | undefined>;

/** One HTTP request to the manager's API: its status and body, or undefined when nothing answered. */
export type Send = (req: {
  method: string;
  path: string;
  body?: Buffer;
  auth: string;
  headers: Record<string, string>;
}) => Promise<{ status: number; body: string } | undefined>;

/** The manager's internal REST port on loopback, TLS verified against the internal CA. */
const overRest =
  (config: Config): Send =>
  (q) =>
    restCall(config, q.path, q);

/** A REST caller that turns anything but 2xx into one line: the step, the status and Cloudify's message. */
function caller(send: Send, auth: string): Call {
  return async (step, method, path, body) => {
    const raw = Buffer.isBuffer(body) ? body : body ? Buffer.from(JSON.stringify(body)) : undefined;
    const type = Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json';
    const r = await send({
      method,
      path: `${API}${path}`,
      body: raw,
      auth,
      headers: { tenant: 'default_tenant', ...(raw ? { 'content-type': type } : {}) },
    });
    if (!r) throw new BootstrapError(`Sanity check failed: ${step}: the REST service did not answer`);
    if (r.status === 404 && method === 'GET') return undefined;
    if (r.status < 200 || r.status >= 300) {
      let msg = r.body.trim();
      try {
        msg = JSON.parse(r.body).message ?? msg;
      } catch {}
      throw new BootstrapError(`Sanity check failed: ${step}: ${r.status} ${msg.split('\n')[0]}`);
    }
    return r.body ? JSON.parse(r.body) : {};
  };
}

/** Starts a workflow and waits for its end; anything but `terminated` fails with the execution's error. */
async function runWorkflow(call: Call, deployment: string, workflow: string, timeoutMs: number) {
  const ex = await call(`start ${workflow}`, 'POST', '/executions', {
    deployment_id: deployment,
    workflow_id: workflow,
  });
  const until = Date.now() + timeoutMs;
  for (let wait = 50; Date.now() < until; wait = Math.min(wait * 2, 500)) {
    await sleep(wait);
    const now = await call(`${workflow} status`, 'GET', `/executions/${ex!.id}`);
    if (!now || !TERMINAL.includes(now.status)) continue;
    if (now.status === 'terminated') return;
    const why = String(now.error || now.status).split('\n')[0];
    throw new BootstrapError(`Sanity check failed: the ${workflow} workflow ended ${now.status}: ${why}`);
  }
  throw new BootstrapError(
    `Sanity check failed: the ${workflow} workflow did not end in ${timeoutMs / 1000} s`,
  );
}

/** Waits until GET `path` answers 404 (a deployment's delete runs as a workflow). */
async function waitGone(call: Call, what: string, path: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let wait = 50; Date.now() < until; wait = Math.min(wait * 2, 500)) {
    if (!(await call(`delete ${what}`, 'GET', path))) return;
    await sleep(wait);
  }
  throw new BootstrapError(`Sanity check failed: the ${what} was not deleted in ${timeoutMs / 1000} s`);
}

/** Runs the check; returns its duration in ms. */
export async function runSanityCheck(
  config: Config,
  adminPassword: string,
  log: Logger,
  o: { send?: Send; marker?: string; timeoutMs?: number } = {},
): Promise<number> {
  const started = Date.now();
  const { timeoutMs = 60_000, marker = SANITY_MARKER } = o;
  const auth = `${config.manager.security.admin_username}:${adminPassword}`;
  const call = caller(o.send ?? overRest(config), auth);
  const id = `sanity_${randomUUID().replaceAll('-', '')}`;
  const [bp, dep] = [`${id}_bp`, id];
  log.info(`Running the sanity check (blueprint ${bp}, deployment ${dep})`);
  writeFileSync(marker, '');
  try {
    const yaml = readFileSync(SANITY_BLUEPRINT);
    await call('upload blueprint', 'PUT', `/blueprints/${bp}?application_file_name=blueprint.yaml`, yaml);
    await call('create deployment', 'PUT', `/deployments/${dep}`, {
      blueprint_id: bp,
      inputs: {},
      skip_plugins_validation: true,
    });
    await runWorkflow(call, dep, 'install', timeoutMs);
    await runWorkflow(call, dep, 'uninstall', timeoutMs);
    await call('delete deployment', 'DELETE', `/deployments/${dep}`);
    await waitGone(call, 'deployment', `/deployments/${dep}`, timeoutMs);
    await call('delete blueprint', 'DELETE', `/blueprints/${bp}`);
  } finally {
    rmSync(marker, { force: true });
  }
  const ms = Date.now() - started;
  log.info(`Sanity check passed in ${(ms / 1000).toFixed(1)} s`);
  return ms;
}
