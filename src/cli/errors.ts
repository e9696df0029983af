// The one error type the CLI shows to users: one line, an optional fix, an exit code. Thrown anywhere,
// caught only in main.ts. Anything else reaching main.ts is a bug and prints a traceback.
import { EXIT, type ExitCode } from './exit-codes.js';

export interface CliErrorOptions {
  /** How to fix it, printed on a second line. */
  fix?: string;
  exitCode?: ExitCode;
  /** Extra detail shown only with -v (a server traceback, a cause). */
  detail?: string;
  cause?: unknown;
}

export class CliError extends Error {
  readonly fix?: string;
  readonly exitCode: ExitCode;
  readonly detail?: string;

  constructor(message: string, opts: CliErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? EXIT.FAILED;
    this.detail = opts.detail;
  }
}

export const usageError = (message: string, fix?: string): CliError =>
  new CliError(message, { fix, exitCode: EXIT.USAGE });
