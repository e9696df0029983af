// The one spawn-and-collect: a child process without a shell (no argument is ever re-parsed), its input
// on stdin, its utf8 stdout and stderr collected whole. The installer and the lab wrap it with their own
// errors, logging and defaults (src/installer/exec.ts, src/lab/run.ts).
import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  /** Written to stdin, which is then closed. @default '' */
  input?: string;
  /** The child's whole environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Killed (code 128) after this long. @default no limit */
  timeoutMs?: number;
  /** @default this process's cwd */
  cwd?: string;
  /**
   * What happens when the command cannot start (not found, not executable, bad cwd):
   * 'code' resolves with code 127 (a shell's "command not found") and the error's message appended to
   * stderr; 'reject' rejects with the error. @default 'code'
   */
  onStartError?: 'code' | 'reject';
}

/** Runs `cmd args` and resolves once it has exited: its code (128 when killed by a signal), stdout, stderr. */
export function runProcess(cmd: string, args: string[], opts: ProcessOptions = {}): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env,
      timeout: opts.timeoutMs,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) => {
      if (opts.onStartError === 'reject') reject(err);
      else resolve({ code: 127, stdout, stderr: stderr + err.message });
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => {}); // a command may exit before reading its input
    child.stdin.end(opts.input ?? '');
  });
}
