// Child processes without a shell. A non-zero exit raises ProcessExecutionError with Cloudify's message
// (reference §1.1); each child gets LANG/LC_ALL unless set. Secrets go through stdin or env, never argv.
import { spawn } from 'node:child_process';
import { ProcessExecutionError } from './errors.js';
import { Logger } from './log.js';

const log = new Logger('exec');

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Return the result instead of raising on a non-zero exit. */
  ignoreFailure?: boolean;
  cwd?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  log.debug(`Running: ${JSON.stringify(argv)}`);
  const env = { ...process.env, ...opts.env };
  env.LANG ??= 'C.UTF-8';
  env.LC_ALL ??= 'C';
  const result = await new Promise<RunResult>((resolve) => {
    const child = spawn(cmd!, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
      timeout: opts.timeoutMs ?? 120_000,
      // A command run as another user starts in / (root's cwd, e.g. /root, is not readable to it).
      ...(opts.cwd ? { cwd: opts.cwd } : cmd === 'setpriv' ? { cwd: '/' } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
  if (result.code !== 0) {
    log.debug(`exit ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    if (!opts.ignoreFailure) {
      throw new ProcessExecutionError(
        `Failed running command: ${JSON.stringify(argv)} (${result.stderr.trim()}).`,
        result.code,
      );
    }
  }
  return result;
}

/** Run as another user (setpriv keeps the PID and needs no PAM, unlike su/runuser). */
export function asUser(user: string, argv: string[]): string[] {
  return ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', ...argv];
}
