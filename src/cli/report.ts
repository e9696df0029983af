// The CLI's one error boundary: turns whatever an action threw into one line (plus a fix) and an
// exit code. User mistakes and server refusals never print a traceback unless -v; bugs always do.
import { CommanderError } from 'commander';
import {
  AllNodesOffline,
  CertificateFailure,
  CloudifyClientError,
  ConnectionFailure,
} from './client/errors.js';
import { CliError } from './errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

export function report(e: unknown, out: Output): ExitCode {
  const verbose = out.verbose > 0;
  const line = (msg: string, fix?: string, detail?: string | null) => {
    out.error(msg);
    if (fix) out.error(`  fix: ${fix}`);
    if (verbose && detail) out.error(detail);
    if (verbose && e instanceof Error && e.stack) out.error(e.stack);
  };
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version')
      return EXIT.OK;
    const msg = e.message.replace(/^error: /, '');
    line(msg.charAt(0).toUpperCase() + msg.slice(1), 'run the command with --help to see its usage');
    return EXIT.USAGE;
  }
  if (e instanceof CliError) {
    line(e.message, e.fix, e.detail);
    return e.exitCode;
  }
  if (e instanceof ConnectionFailure) {
    line(
      e.message,
      'check that the manager is running and that the profile points at it (`cfy profiles show-current`)',
      e.reason,
    );
    return EXIT.UNREACHABLE;
  }
  if (e instanceof AllNodesOffline) {
    line(
      'All cluster nodes are offline',
      'check the managers, or refresh the node list with `cfy cluster update-profile`',
      e.message,
    );
    return EXIT.UNREACHABLE;
  }
  if (e instanceof CertificateFailure) {
    line(
      e.message,
      "give the manager's CA certificate with `cfy profiles set -c <ca.crt>` (or set CLOUDIFY_SSL_TRUST_ALL=true)",
    );
    return EXIT.UNREACHABLE;
  }
  if (e instanceof CloudifyClientError) {
    if (e.status === 401) {
      line(
        `User is unauthorized: ${e.message.replace(/^User unauthorized:\s*/i, '')}`,
        'check the username and password (`cfy profiles set -u <user> -p <password>`) or CLOUDIFY_USERNAME/CLOUDIFY_PASSWORD',
      );
      return EXIT.UNAUTHORIZED;
    }
    line(`An error occurred on the server: ${e.message}`, undefined, e.serverTraceback);
    return e.status === 403 ? EXIT.UNAUTHORIZED : EXIT.FAILED;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    line(err.message, 'check the path');
    return EXIT.USAGE;
  }
  // A bug: show everything, -v or not.
  out.error(`Unexpected error: ${err.message}`);
  out.error(err.stack ?? '');
  return EXIT.FAILED;
}
