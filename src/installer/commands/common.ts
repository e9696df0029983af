// What every installer command shares: the config flags, root check, logging set-up, the error boundary
// (`<ErrorClass>: <message>`, exit 1) and the timing line. Declarations import it, so it stays light:
// reading config.yaml is in load-config.ts, which only actions import.
import type { Command } from 'commander';
import { BootstrapError, errorLine } from '../errors.js';
import { mainLog, setupLogging } from '../log.js';

export interface CommonOpts {
  verbose?: boolean;
  configFile?: string[];
  privateIp?: string;
  publicIp?: string;
  adminPassword?: string;
}

export const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function addConfigFlags(cmd: Command, install = false): Command {
  cmd
    .option('-v, --verbose', 'show DEBUG messages')
    .option(
      '-c, --config-file <file>',
      'config file under /etc/cloudify (repeatable, merged in order; default /etc/cloudify/config.yaml)',
      collect,
    );
  if (install) {
    cmd
      .option('--private-ip <ip>', 'overrides manager.private_ip')
      .option('--public-ip <ip>', 'overrides manager.public_ip')
      .option('-a, --admin-password <password>', 'overrides manager.security.admin_password');
  }
  return cmd;
}

export function finishedLine(startMs: number): string {
  const total = Math.floor((Date.now() - startMs) / 1000);
  return `Finished in ${Math.floor(total / 60)} minutes and ${total % 60} seconds`;
}

/** This run's arguments, with the new password of `reset-admin-password NEW` masked. */
function commandLine(): string {
  const args = process.argv.slice(2);
  const at = args.indexOf('reset-admin-password');
  return args.map((a, i) => (at >= 0 && i > at && !a.startsWith('-') ? '********' : a)).join(' ');
}

/**
 * Wraps a command's action: checks root, sets up logging, and turns any failure into the log line
 * `<ErrorClass>: <message>` with exit 1. The action may return an exit code (dbs list does).
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<unknown>,
  opts: { root?: boolean; log?: boolean } = {},
) {
  return async (...args: A): Promise<void> => {
    const cmdOpts = (args.find(
      (a) => a && typeof a === 'object' && !Array.isArray(a) && !('parent' in (a as object)),
    ) ?? {}) as CommonOpts;
    // Commands without a log (version) use -v for their own output, not for DEBUG lines.
    setupLogging({
      verbose: opts.log !== false && Boolean(cmdOpts.verbose),
      file: opts.log === false ? false : undefined,
    });
    try {
      if ((opts.root ?? true) && process.getuid?.() !== 0) {
        throw new BootstrapError('cfy_manager must run as root for this command', {
          fix: `Run it with sudo: sudo cfy_manager ${commandLine()}`,
        });
      }
      mainLog.debug(`cfy_manager ${commandLine()}`);
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      mainLog.error(errorLine(err));
      if (err instanceof Error && err.stack) mainLog.debug(err.stack);
      process.exitCode = 1;
    }
  };
}
