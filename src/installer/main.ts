// `cfy_manager`: the operator's command. Each group registers itself; this file is only the list.
import { Command } from 'commander';
import { registerLabCommands } from '../lab/commands.js';
import { registerBrokersCommands } from './commands/brokers.js';
import { registerInstallerCommands } from './commands/index.js';
import { registerServeCommand } from './serve-command.js';
import { registerWorkerCommand } from './worker-command.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('cfy_manager').description(
    'Install and run a Stratus (Cloudify-compatible) manager',
  );
  registerServeCommand(program);
  registerWorkerCommand(program); // the management worker as its own process (server setup)
  registerInstallerCommands(program); // installer core: install/configure/remove/…, generate-test-cert, dbs
  registerLabCommands(program);
  registerBrokersCommands(program);
  await program.parseAsync(argv);
}
