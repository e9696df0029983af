// Managers and workers as real child processes, for the tests that SIGKILL them. Each helper keeps
// the PID it started and kills only that (and, for SIGKILL tests, the script process groups the
// test itself knows about are short-lived sleeps).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_PASSWORD, adminAuth } from '../helpers/manager.js';
import type { Caller } from './helpers.js';
import { freePort } from '../helpers/postgres.js';
import { urlsToEnv } from '../helpers/server-urls.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startProcess(argv: string[], env: Record<string, string> = {}): Proc {
  const { args, env: urls } = urlsToEnv(argv);
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'cfy_manager'), ...args], {
    cwd: ROOT,
    env: { ...process.env, STRATUS_ADMIN_PASSWORD: ADMIN_PASSWORD, ...urls, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

export interface ManagerProc extends Proc, Caller {
  url: string;
}

/** `cfy_manager serve` on a free port; resolves once /api/v3.1/ok answers. */
export async function startManagerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ManagerProc> {
  const port = await freePort();
  const p = startProcess(['serve', '--port', String(port), ...args], env);
  const url = `http://127.0.0.1:${port}`;
  const caller: Caller = {
    async call({ method, url: path, payload, headers }) {
      const h: Record<string, string> = { authorization: adminAuth, tenant: 'default_tenant', ...headers };
      let body: string | Buffer | undefined;
      if (payload !== undefined) {
        if (Buffer.isBuffer(payload) || typeof payload === 'string') body = payload;
        else {
          body = JSON.stringify(payload);
          h['content-type'] ??= 'application/json';
        }
      }
      const res = await fetch(url + path, { method, headers: h, body: body as BodyInit | undefined });
      const text = await res.text();
      return { statusCode: res.status, body: text, json: () => JSON.parse(text) };
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`manager exited early:\n${p.output()}`);
    try {
      const r = await fetch(`${url}/api/v3.1/ok`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await p.kill();
      throw new Error(`manager did not answer within 60 s:\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...p, ...caller, url };
}

/** `cfy_manager worker`; resolves once it says it started, and kills it if it does not within 60 s. */
export async function startWorkerProcess(args: string[]): Promise<Proc> {
  const w = startProcess(['worker', ...args]);
  const deadline = Date.now() + 60_000;
  while (!w.output().includes('worker started')) {
    if (w.child.exitCode !== null || Date.now() > deadline) {
      await w.kill();
      throw new Error(`worker did not start:\n${w.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return w;
}

export { freePort };
