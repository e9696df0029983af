// Runs host commands (ip, nsenter, apt-get) without a shell, so no argument is ever re-parsed.
import { type ProcessResult, runProcess } from '../common/process.js';
import { LabError } from './errors.js';

export type RunResult = ProcessResult;

export interface RunOptions {
  input?: string;
  /** @default 60000 */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Resolves with the exit code and output; a command that cannot start is a LabError. */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  try {
    return await runProcess(cmd, args, {
      input: opts.input,
      env: opts.env,
      timeoutMs: opts.timeoutMs ?? 60_000,
      onStartError: 'reject',
    });
  } catch (err) {
    throw new LabError(`cannot run ${cmd}: ${(err as Error).message}`);
  }
}

/** Like run, but a non-zero exit is an error naming the command. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new LabError(
      `${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`,
    );
  }
  return r.stdout;
}
