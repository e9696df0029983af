// The script's child process: started with /bin/sh in its own process group, its output logged line
// by line within a byte budget, killed as a group on timeout or force-cancel.
import { spawn } from 'node:child_process';
import { NonRecoverableError } from '../../../engine/index.js';
import type { OperationContext } from '../types.js';

export type Exit =
  | { kind: 'exit'; code: number | null; signal: string | null; stderrTail: string }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

function killGroup(pid: number | undefined) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

/**
 * Logs a child's stdout (`<out> …`, info) and stderr (`<err> …`, warning) line by line, at most
 * `maxLogBytes` in all; the rest is counted and reported once at the end. Keeps the last 2 KiB of stderr.
 */
function outputLog(ctx: OperationContext, maxLogBytes: number, label: string) {
  let logged = 0;
  let dropped = 0;
  let stderrTail = '';
  const flushes: (() => void)[] = [];
  return {
    pipe(stream: NodeJS.ReadableStream, tag: 'out' | 'err') {
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
      flushes.push(() => {
        if (buf) emit(buf);
        buf = '';
      });
    },
    /** Logs what is left in the buffers and the truncation notice; returns the stderr tail. */
    end(): string {
      for (const f of flushes) f();
      if (dropped) {
        ctx.log('warning', `Output of ${label} truncated: ${dropped} bytes beyond ${maxLogBytes} not logged`);
      }
      return stderrTail.trim();
    },
  };
}

export function runProcess(
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
    const output = outputLog(ctx, maxLogBytes, label);
    output.pipe(child.stdout!, 'out');
    output.pipe(child.stderr!, 'err');
    let ended: Exit | undefined;
    let settled = false;
    let closed = false;
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
        const stderrTail = output.end();
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(e.kind === 'exit' ? { ...e, stderrTail } : e);
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
