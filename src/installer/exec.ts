// Child processes without a shell. A non-zero exit raises ProcessExecutionError with Cloudify's message
// (reference §1.1); each child gets LANG/LC_ALL unless set. Secrets go through stdin or env, never argv.
import { type ProcessResult, runProcess } from '../common/process.js';
import { ProcessExecutionError } from './errors.js';
import { Logger } from './log.js';

const log = new Logger('exec');

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** @default 120000 */
  timeoutMs?: number;
  /** Return the result instead of raising on a non-zero exit. */
  ignoreFailure?: boolean;
  cwd?: string;
}

export type RunResult = ProcessResult;

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  log.debug(`Running: ${JSON.stringify(argv)}`);
  const env = { ...process.env, ...opts.env };
  env.LANG ??= 'C.UTF-8';
  env.LC_ALL ??= 'C';
  const result = await runProcess(cmd!, args, {
    input: opts.input,
    env,
    timeoutMs: opts.timeoutMs ?? 120_000,
    // A command run as another user starts in / (root's cwd, e.g. /root, is not readable to it).
    cwd: opts.cwd ?? (cmd === 'setpriv' ? '/' : undefined),
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
