// `cfy maintenance-mode status|activate|deactivate` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { usageError } from '../../errors.js';
import { lazy } from '../shared.js';

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw usageError(`--timeout must be a whole number of seconds, got "${v}"`);
  return n;
};

export function registerMaintenanceCommands(program: Command): void {
  const g = program.command('maintenance-mode').description("Handle the manager's maintenance-mode");
  const m = (name: string) => lazy(async () => ({ run: (await import('./maintenance.js')).actions[name]! }));
  g.command('status').description('Show maintenance-mode status').action(m('status'));
  g.command('activate')
    .description('Enter maintenance-mode on the manager, rejecting further REST requests')
    .option('--wait', 'wait until the manager is in maintenance mode')
    .option('--timeout <seconds>', 'give up waiting after this many seconds (0: no limit)', seconds, 0)
    .action(m('activate'));
  g.command('deactivate')
    .description('Deactivate maintenance-mode on the manager to accept REST requests')
    .action(m('deactivate'));
}
