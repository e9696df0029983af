// `cfy events list` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, tenantOption } from '../shared.js';

export function registerEventCommands(program: Command): void {
  const g = program.command('events').description('Show events and logs of executions');
  tenantOption(
    g
      .command('list')
      .description("List an execution's events (follow them with --tail)")
      .argument('[execution-id]')
      .option('-e, --execution-id <id>', 'the execution (deprecated: give it as the argument)')
      .option('--include-logs', 'include logs (default)', true)
      .option('--no-logs', 'events only')
      .option('--json-output', 'print each event as one JSON line')
      .option('--tail', 'keep printing events until the execution ends')
      .option('--from <time>', 'only events from this time (ISO)')
      .option('--to <time>', 'only events up to this time (ISO)')
      .option('-o, --pagination-offset <n>', 'the number of events to skip', Number, 0)
      .option('-s, --pagination-size <n>', 'the max number of events', Number, 1000),
  ).action(lazy(() => import('./list.js')));
}
