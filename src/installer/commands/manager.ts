// `cfy_manager add-networks` (reference §6.6) and `reset-admin-password` (§1.3), on an installed manager:
// the flags only; the actions are in manager-actions.ts.
import type { Command } from 'commander';
import { action, addConfigFlags, type CommonOpts } from './common.js';
import type { NetworksOpts } from './manager-actions.js';

const actions = () => import('./manager-actions.js');

export function registerManagerCommands(program: Command): void {
  addConfigFlags(
    program.command('add-networks').description('Add networks (name → address) to this running manager'),
  )
    .requiredOption('--networks <json>', 'JSON object of network name to address')
    .option('--skip-generating-certificates', 'do not check the internal certificate for the new addresses')
    .action(action(async (o: NetworksOpts) => (await actions()).addNetworks(o)));
  addConfigFlags(
    program
      .command('reset-admin-password')
      .description("Set the admin user's password (read from stdin when not given)")
      .argument('[new_password]'),
  ).action(
    action(async (password: string | undefined, o: CommonOpts) =>
      (await actions()).resetAdminPassword(password, o),
    ),
  );
}
