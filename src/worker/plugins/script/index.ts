// The script plugin (dsl-and-workflows.md §4): `script_runner.tasks.run` runs a blueprint script as a
// child process in its own process group, with the operation inputs as environment variables, a ctx
// proxy on 127.0.0.1 and the `ctx` CLI on PATH. Output goes to the operation's logs, bounded; the
// timeout and a force-cancel kill the whole process group.
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NonRecoverableError, OperationRetry, RecoverableError } from '../../../engine/index.js';
import type { OperationContext, Plugin } from '../types.js';
import type { ScriptOutcome } from './ctx-object.js';
import { type Exit, runProcess } from './process.js';
import { startCtxProxy } from './proxy.js';
import { resolveResource } from './resources.js';
import { splitStderr } from './traceback.js';

export interface ScriptPluginOptions {
  /** Folder holding the `ctx` launcher; put first on the script's PATH. */
  binDir: string;
  /** Python interpreter for `.py` scripts. @default /usr/bin/python3 */
  python?: string;
  /** Bytes of stdout+stderr logged per operation; the rest is counted and dropped. @default 65536 */
  maxLogBytes?: number;
  /** Scripts running at once in this worker; the others wait their turn. @default 20 (Cloudify's MAX_OPERATION_WORKERS) */
  maxProcesses?: number;
}

/** A counting semaphore: at most `n` holders; waiters are served in FIFO order. */
export function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return {
    async acquire(signal?: AbortSignal): Promise<() => void> {
      if (free > 0) free--;
      else {
        await new Promise<void>((resolve, reject) => {
          const go = () => {
            signal?.removeEventListener('abort', abort);
            resolve();
          };
          const abort = () => {
            const i = waiting.indexOf(go);
            if (i >= 0) waiting.splice(i, 1);
            reject(new NonRecoverableError('cancelled before the script started'));
          };
          signal?.addEventListener('abort', abort, { once: true });
          waiting.push(go);
        });
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next();
        else free++;
      };
    },
  };
}

export const SCRIPT_TASK = 'script_runner.tasks.run';

/** Folder holding the small `cloudify` Python package for .py scripts. */
const PY_SHIM = join(dirname(fileURLToPath(import.meta.url)), 'python');

export function scriptPlugin(o: ScriptPluginOptions): Plugin {
  const slots = semaphore(o.maxProcesses ?? 20);
  return {
    name: 'script',
    operations: {
      [SCRIPT_TASK]: async (ctx) => {
        const release = await slots.acquire(ctx.signal);
        try {
          return await runScript(ctx, o);
        } finally {
          release();
        }
      },
    },
  };
}

interface ProcessOptions {
  cwd?: string;
  env?: Record<string, unknown>;
  args?: unknown[];
  command_prefix?: string;
}

const envValue = (v: unknown) =>
  typeof v === 'string'
    ? v
    : v !== null && typeof v === 'object'
      ? JSON.stringify(v)
      : typeof v === 'boolean'
        ? JSON.stringify(v)
        : String(v);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The worker's own environment minus Stratus settings (passwords, keys, URLs). */
function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('STRATUS_')) out[k] = v;
  return out;
}

/** The script copied (or written, for script_source) into `work`, executable; `label` names it in messages. */
function stageScript(ctx: OperationContext, work: string): { file: string; label: string } {
  const scriptPath = ctx.inputs.script_path as string | undefined;
  const source = ctx.inputs.script_source as string | undefined;
  let file: string;
  let label: string;
  if (scriptPath) {
    const src = resolveResource(ctx.blueprintDir, scriptPath);
    file = join(work, basename(src));
    copyFileSync(src, file);
    label = scriptPath;
  } else {
    file = join(work, 'script.sh');
    writeFileSync(file, source!);
    label = 'script_source';
  }
  chmodSync(file, 0o755);
  return { file, label };
}

const NOT_INPUTS = ['script_path', 'script_source', 'process'];

/** The script's environment: the worker's, process.env, the operation inputs, the ctx proxy and PATH. */
function scriptEnv(
  inputs: Record<string, unknown>,
  proc: ProcessOptions,
  proxyUrl: string,
  binDir: string,
): Record<string, string> {
  const env: Record<string, string> = { ...baseEnv(), TMPDIR: process.env.TMPDIR ?? tmpdir() };
  for (const [k, v] of Object.entries(proc.env ?? {})) env[k] = envValue(v);
  for (const [k, v] of Object.entries(inputs)) {
    if (NOT_INPUTS.includes(k) || v === undefined) continue;
    env[k] = v === null ? '' : envValue(v);
  }
  env.CTX_SOCKET_URL = proxyUrl;
  // `from cloudify import ctx` / `from cloudify.state import ctx_parameters` in .py scripts
  env.PYTHONPATH = [PY_SHIM, env.PYTHONPATH].filter(Boolean).join(':');
  env.STRATUS_CTX_INPUTS = JSON.stringify(Object.keys(inputs).filter((k) => !NOT_INPUTS.includes(k)));
  env.PATH = `${binDir}:${env.PATH ?? '/usr/bin:/bin'}`;
  return env;
}

/** The error a script ends with: abort/retry asked through ctx, timeout, cancel, or its exit code; else none. */
function scriptError(
  ctx: OperationContext,
  label: string,
  outcome: ScriptOutcome,
  exit: Exit,
): Error | undefined {
  if (outcome.abort !== undefined) return new NonRecoverableError(outcome.abort);
  if (outcome.retry) return new OperationRetry(outcome.retry.message, outcome.retry.afterMs);
  if (exit.kind === 'timeout') {
    const msg = `Script ${label} did not finish within ${ctx.timeoutMs! / 1000} s: its process group was killed`;
    return ctx.timeoutRecoverable ? new RecoverableError(msg) : new NonRecoverableError(msg);
  }
  if (exit.kind === 'cancelled') {
    return new NonRecoverableError(`Script ${label} was cancelled: its process group was killed`);
  }
  if (exit.code === 0) return undefined;
  // The message shows stderr without the script's stack frames; its traceback goes to the error cause.
  const stderr = splitStderr(exit.stderrTail);
  const tail = stderr.summary ? `; stderr: ${stderr.summary}` : '';
  if (exit.code === 126 || exit.code === 127) {
    return new NonRecoverableError(
      `Script ${label} could not be executed (exit code ${exit.code}: not executable or interpreter not found)${tail}`,
    );
  }
  return new ProcessException(
    `Script ${label} exited with code ${exit.code ?? exit.signal}${tail}`,
    stderr.traceback,
  );
}

export async function runScript(ctx: OperationContext, o: ScriptPluginOptions): Promise<unknown> {
  const inputs = ctx.inputs;
  if (!inputs.script_path && !inputs.script_source) {
    throw new NonRecoverableError(
      `Operation ${ctx.operation.name}: no script_path (or script_source) input was given`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'stratus-script-'));
  try {
    const { file, label } = stageScript(ctx, work);
    const proc = (inputs.process ?? {}) as ProcessOptions;
    const prefix =
      proc.command_prefix ?? (file.endsWith('.py') ? (o.python ?? '/usr/bin/python3') : undefined);
    const args = (proc.args ?? []).map(String);
    const command = [prefix, shellQuote(file), ...args].filter((x) => x !== undefined).join(' ');

    const outcome: ScriptOutcome = {};
    const proxy = await startCtxProxy(ctx, outcome);
    try {
      const env = scriptEnv(inputs, proc, proxy.url, o.binDir);
      const exit = await runProcess(ctx, command, env, proc.cwd ?? work, o.maxLogBytes ?? 65536, label);
      const error = scriptError(ctx, label, outcome, exit);
      if (error) throw error;
      return outcome.returns ? outcome.returns.value : null;
    } finally {
      await proxy.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A non-zero exit: recoverable, as Cloudify's ProcessException. Carries the script's traceback, if any. */
export class ProcessException extends Error {
  override name = 'ProcessException';
  constructor(
    message: string,
    readonly traceback?: string,
  ) {
    super(message);
  }
}
