// The exit codes of `cfy`, one dictionary, printed in the `cfy --help` epilogue and in docs/cli.md.
// Never renumber: scripts test them.
export const EXIT = {
  /** The command did what it was asked. */
  OK: 0,
  /** The operation failed: a server error, a failed execution, a resource that is not there. */
  FAILED: 1,
  /** The command line was wrong: unknown or ambiguous command, bad option, bad inputs, missing file. */
  USAGE: 2,
  /** No manager answered (connection refused, 5 s connect timeout, HTTP 502 on every node) or TLS failed. */
  UNREACHABLE: 3,
  /** The manager refused the credentials (HTTP 401) or the tenant/permission (HTTP 403). */
  UNAUTHORIZED: 4,
  /** A wait ran out (`executions start --timeout`). */
  TIMEOUT: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = [
  'Exit codes:',
  ...Object.entries(EXIT).map(([name, code]) => `  ${code}  ${name}`),
].join('\n');
