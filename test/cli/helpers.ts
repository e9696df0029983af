// Helpers for the CLI tests: a real manager process started by the test, and `cfy` run as a child
// process (the real binary) with its own temp CFY_WORKDIR.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/postgres.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CFY = join(ROOT, 'bin/cfy');
export const CFY_MANAGER = join(ROOT, 'bin/cfy_manager');
export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const ADMIN_PASSWORD = 'cli-test-pw';

export interface ManagerProcess {
  port: number;
  proc: ChildProcess;
  dataDir: string;
  logs: () => string;
  /** SIGKILL: the node dies as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

async function waitOk(port: number, proc: ChildProcess, logs: () => string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`manager exited with ${proc.exitCode}:\n${logs()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/v3.1/ok`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`manager on port ${port} did not answer /ok within ${ms} ms:\n${logs()}`);
}

export async function startManager(
  o: { db?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<ManagerProcess> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stratus-cli-mgr-'));
  const args = ['serve', '--port', String(port), '--data-dir', dataDir, '--admin-password', ADMIN_PASSWORD];
  args.push(...(o.args ?? []));
  const dbEnv = o.db ? { STRATUS_DB_URL: o.db } : {};
  const proc = spawn(CFY_MANAGER, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.env || o.db ? { env: { ...process.env, ...dbEnv, ...o.env } } : {}),
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  proc.stderr!.on('data', (d) => {
    out = (out + d).slice(-20_000);
  });
  const logs = () => out;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await waitOk(port, proc, logs);
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return {
    port,
    proc,
    dataDir,
    logs,
    kill: () => end('SIGKILL'),
    async stop() {
      await end('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CfyResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Cfy {
  (args: string[], o?: { env?: Record<string, string | undefined>; cwd?: string }): Promise<CfyResult>;
  workdir: string;
  cleanup(): void;
}

/** A `cfy` bound to a fresh temp CFY_WORKDIR; CLOUDIFY_* variables of the test host are not inherited. */
export function makeCfy(): Cfy {
  const workdir = mkdtempSync(join(tmpdir(), 'stratus-cfy-'));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLOUDIFY_')));
  const run = (args: string[], o: { env?: Record<string, string | undefined>; cwd?: string } = {}) =>
    new Promise<CfyResult>((resolveRun) => {
      const t0 = performance.now();
      const p = spawn(CFY, args, {
        cwd: o.cwd ?? workdir,
        env: { ...base, CFY_WORKDIR: workdir, ...o.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => {
        stdout += d;
      });
      p.stderr.on('data', (d) => {
        stderr += d;
      });
      p.on('close', (code) => resolveRun({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
    });
  return Object.assign(run, { workdir, cleanup: () => rmSync(workdir, { recursive: true, force: true }) });
}

/** The one JSON document a `--json` command printed on stdout. */
export function json<T = any>(r: CfyResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not pure JSON (code ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
  }
}

export const useArgs = (port: number, extra: string[] = []) => [
  'profiles',
  'use',
  '127.0.0.1',
  '--rest-port',
  String(port),
  '-u',
  'admin',
  '-p',
  ADMIN_PASSWORD,
  '-t',
  'default_tenant',
  ...extra,
];
