// `cfy cluster …`, plus the top-level `cfy managers list` and `cfy db-nodes list` (cfy-cli.md A.7).
import type { Command } from 'commander';
import { lazy } from '../shared.js';

function nodeLists(parent: Command, kinds: ('managers' | 'brokers' | 'db-nodes')[]): void {
  for (const kind of kinds) {
    parent
      .command(kind)
      .description(`Handle the cluster's ${kind.replace('-', ' ')}`)
      .command('list')
      .description(`List the ${kind.replace('-', ' ')} of the cluster`)
      .action(lazy(async () => ({ run: (await import('./lists.js')).listers[kind] })));
  }
}

export function registerClusterCommands(program: Command): void {
  const g = program.command('cluster').description('Handle the Cloudify Manager cluster');
  g.command('status')
    .description("Show the cluster's status (OK, Degraded or Fail) per service")
    .action(lazy(() => import('./status.js')));
  g.command('update-profile')
    .description('Store the cluster nodes in the active profile')
    .action(lazy(() => import('./update-profile.js')));
  g.command('remove')
    .description('Unregister a manager node from the cluster (it is not torn down)')
    .argument('<hostname>')
    .action(lazy(() => import('./remove.js')));
  nodeLists(g, ['managers', 'brokers', 'db-nodes']);
  nodeLists(program, ['managers', 'db-nodes']);
}
