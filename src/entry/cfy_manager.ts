// `cfy_manager`: the operator's command. The installer's groups, the lab, and the two server processes
// (serve, worker) register here; this file is only the list and the error boundary.
import { Command } from 'commander';
import { registerBrokersCommands } from '../installer/commands/brokers.js';
import { registerInstallerCommands } from '../installer/commands/index.js';
import { registerLabCommands } from '../lab/commands.js';
import { runMain } from './boundary.js';
import { registerManagerDbCommand } from './manager-db-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerWorkerCommand } from './worker-command.js';

export function buildProgram(): Command {
  const program = new Command('cfy_manager').description(
    'Install and run a Stratus (Cloudify-compatible) manager',
  );
  registerServeCommand(program);
  registerWorkerCommand(program); // the management worker as its own process (server setup)
  registerInstallerCommands(program); // install/configure/remove/…, generate-test-cert, dbs
  registerLabCommands(program);
  registerBrokersCommands(program);
  registerManagerDbCommand(program); // hidden: the database side of installing a manager
  return program;
}

await runMain('cfy_manager', () => buildProgram().parseAsync(process.argv));
