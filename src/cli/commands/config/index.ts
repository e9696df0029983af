// `cfy config list|update` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy } from '../shared.js';

export function registerConfigCommands(program: Command): void {
  const g = program.command('config').description("Handle the manager's configuration");
  g.command('list')
    .description('List configuration')
    .action(lazy(async () => ({ run: (await import('./config.js')).list })));
  g.command('update')
    .description(
      'Update configuration: INPUTS as a YAML/JSON mapping {"name": value}, name=value pairs or a YAML file; prefix an ambiguous name with its scope, e.g. "rest.ldap_username"',
    )
    .argument('<inputs...>')
    .action(lazy(async () => ({ run: (await import('./config.js')).update })));
}
