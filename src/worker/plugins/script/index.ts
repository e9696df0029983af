// The script plugin (dsl-and-workflows.md §4): `script_runner.tasks.run` runs a blueprint script as a
// child process in its own process group, with the operation inputs as environment variables, a ctx
// proxy on 127.0.0.1 and the `ctx` CLI on PATH. Output goes to the operation's logs, bounded; the
// timeout and a force-cancel kill the whole process group.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NonRecoverableError, OperationRetry, RecoverableError } from '../../../engine/index.js';
import type { OperationContext, Plugin } from '../types.js';
import type { ScriptOutcome } from './ctx-object.js';
import { startCtxProxy } from './proxy.js';
import { resolveResource } from './resources.js';

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

export async function runScript(ctx: OperationContext, o: ScriptPluginOptions): Promise<unknown> {
  const inputs = ctx.inputs;
  const scriptPath = inputs.script_path as string | undefined;
  const source = inputs.script_source as string | undefined;
  if (!scriptPath && !source) {
    throw new NonRecoverableError(
      `Operation ${ctx.operation.name}: no script_path (or script_source) input was given`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'stratus-script-'));
  try {
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
    const proc = (inputs.process ?? {}) as ProcessOptions;
    const prefix =
      proc.command_prefix ?? (file.endsWith('.py') ? (o.python ?? '/usr/bin/python3') : undefined);
    const args = (proc.args ?? []).map(String);
    const command = [prefix, shellQuote(file), ...args].filter((x) => x !== undefined).join(' ');

    const outcome: ScriptOutcome = {};
    const proxy = await startCtxProxy(ctx, outcome);
    try {
      const env: Record<string, string> = { ...baseEnv(), TMPDIR: process.env.TMPDIR ?? tmpdir() };
      for (const [k, v] of Object.entries(proc.env ?? {})) env[k] = envValue(v);
      for (const [k, v] of Object.entries(inputs)) {
        if (k === 'script_path' || k === 'script_source' || k === 'process' || v === undefined) continue;
        env[k] = v === null ? '' : envValue(v);
      }
      env.CTX_SOCKET_URL = proxy.url;
      // `from cloudify import ctx` / `from cloudify.state import ctx_parameters` in .py scripts
      env.PYTHONPATH = [PY_SHIM, env.PYTHONPATH].filter(Boolean).join(':');
      env.STRATUS_CTX_INPUTS = JSON.stringify(
        Object.keys(inputs).filter((k) => !['script_path', 'script_source', 'process'].includes(k)),
      );
      env.PATH = `${o.binDir}:${env.PATH ?? '/usr/bin:/bin'}`;
      const code = await runProcess(ctx, command, env, proc.cwd ?? work, o.maxLogBytes ?? 65536, label);
      if (outcome.abort !== undefined) throw new NonRecoverableError(outcome.abort);
      if (outcome.retry) throw new OperationRetry(outcome.retry.message, outcome.retry.afterMs);
      if (code.kind === 'timeout') {
        const msg = `Script ${label} did not finish within ${ctx.timeoutMs! / 1000} s: its process group was killed`;
        throw ctx.timeoutRecoverable ? new RecoverableError(msg) : new NonRecoverableError(msg);
      }
      if (code.kind === 'cancelled')
        throw new NonRecoverableError(`Script ${label} was cancelled: its process group was killed`);
      if (code.code !== 0) {
        const tail = code.stderrTail ? `; stderr: ${code.stderrTail}` : '';
        if (code.code === 126 || code.code === 127) {
          throw new NonRecoverableError(
            `Script ${label} could not be executed (exit code ${code.code}: not executable or interpreter not found)${tail}`,
          );
        }
        throw new ProcessException(`Script ${label} exited with code ${code.code ?? code.signal}${tail}`);
      }
      return outcome.returns ? outcome.returns.value : null;
    } finally {
      await proxy.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A non-zero exit: recoverable, as Cloudify's ProcessException. */
export class ProcessException extends Error {
  override name = 'ProcessException';
}

type Exit =
  | { kind: 'exit'; code: number | null; signal: string | null; stderrTail: string }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

function killGroup(pid: number | undefined) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

function runProcess(
  ctx: OperationContext,
  command: string,
  env: Record<string, string>,
  cwd: string,
  maxLogBytes: number,
  label: string,
): Promise<Exit> {
  return new Promise((resolve, reject) => {
    if (ctx.signal.aborted) {
      resolve({ kind: 'cancelled' });
      return;
    }
    const child = spawn('/bin/sh', ['-c', command], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logged = 0;
    let dropped = 0;
    let stderrTail = '';
    let ended: Exit | undefined;
    let settled = false;
    let closed = false;
    const pipe = (stream: NodeJS.ReadableStream, tag: 'out' | 'err') => {
      let buf = '';
      const emit = (line: string) => {
        if (logged + line.length > maxLogBytes) {
          dropped += line.length + 1;
          return;
        }
        logged += line.length + 1;
        ctx.log(tag === 'err' ? 'warning' : 'info', `<${tag}> ${line}`);
      };
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        if (tag === 'err') stderrTail = (stderrTail + d).slice(-2048);
        buf += d;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          emit(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          nl = buf.indexOf('\n');
        }
        // a line longer than the budget is cut into pieces rather than held forever
        if (buf.length > maxLogBytes) {
          emit(buf.slice(0, maxLogBytes));
          buf = '';
        }
      });
      return () => {
        if (buf) emit(buf);
        buf = '';
      };
    };
    const flushOut = pipe(child.stdout!, 'out');
    const flushErr = pipe(child.stderr!, 'err');
    const finish = (e: Exit) => {
      if (ended) return;
      ended = e;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      // Daemons the script left behind may hold the pipes open: wait for the pipes to close, at
      // most 200 ms, then let go.
      const done = () => {
        if (settled) return;
        settled = true;
        flushOut();
        flushErr();
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (dropped)
          ctx.log(
            'warning',
            `Output of ${label} truncated: ${dropped} bytes beyond ${maxLogBytes} not logged`,
          );
        resolve(e.kind === 'exit' ? { ...e, stderrTail: stderrTail.trim() } : e);
      };
      if (closed) done();
      else {
        child.once('close', done);
        setTimeout(done, 200);
      }
    };
    const timer = ctx.timeoutMs
      ? setTimeout(() => {
          killGroup(child.pid);
          finish({ kind: 'timeout' });
        }, ctx.timeoutMs)
      : undefined;
    const onAbort = () => {
      killGroup(child.pid);
      finish({ kind: 'cancelled' });
    };
    ctx.signal.addEventListener('abort', onAbort);
    child.on('error', (err) => {
      if (!ended) {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        ended = { kind: 'cancelled' };
        reject(new NonRecoverableError(`Script ${label} could not be started: ${err.message}`));
      }
    });
    child.once('close', () => {
      closed = true;
    });
    child.on('exit', (code, signal) => finish({ kind: 'exit', code, signal, stderrTail: '' }));
  });
}
