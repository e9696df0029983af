// The installer's commands. Each declaration lazily imports its action module.
// Broker commands register beside these from src/entry/cfy_manager.ts (registerBrokersCommands).
import type { Command } from 'commander';
import { action, addConfigFlags, type CommonOpts } from './common.js';
import { registerDbsCommands } from './dbs.js';
import { registerManagerCommands } from './manager.js';

const lifecycle = () => import('./lifecycle.js');

export function registerInstallerCommands(program: Command): void {
  addConfigFlags(
    program.command('install').description('Install and configure the services of config.yaml'),
    true,
  )
    .option('--only-install', 'install packages only; configure later')
    .action(action(async (o: CommonOpts & { onlyInstall?: boolean }) => (await lifecycle()).install(o)));
  addConfigFlags(program.command('configure').description('Configure the installed services'), true)
    .option('--print-finish-message', "print the manager's address and admin password at the end")
    .action(
      action(async (o: CommonOpts & { printFinishMessage?: boolean }) => (await lifecycle()).configure(o)),
    );
  addConfigFlags(program.command('remove').description('Stop and remove the services of config.yaml')).action(
    action(async (o: CommonOpts) => (await lifecycle()).remove(o)),
  );
  addConfigFlags(
    program.command('validate').description('Check config.yaml and this host; changes nothing'),
    true,
  ).action(action(async (o: CommonOpts) => (await lifecycle()).validate(o)));
  for (const verb of ['start', 'stop', 'restart'] as const) {
    addConfigFlags(
      program
        .command(verb)
        .description(`${verb} the services (or only the named components, e.g. postgresqlserver)`)
        .argument('[components...]'),
    ).action(action(async (names: string[], o: CommonOpts) => (await lifecycle()).lifecycle(verb, names, o)));
  }
  program
    .command('version')
    .description('Print the version')
    .option('-v, --verbose', 'also the package and build metadata')
    .action(
      action(
        async (o: { verbose?: boolean }) => {
          for (const l of (await import('./version.js')).version(Boolean(o.verbose)))
            process.stdout.write(`${l}\n`);
        },
        { root: false, log: false },
      ),
    );
  program
    .command('generate-test-cert')
    .description('Create a test CA (once) and a certificate for the given SANs in ~/.cloudify-test-ca')
    .requiredOption('-s, --sans <sans>', 'comma-separated; the first is the CN and names the files')
    .action(async (o: { sans: string }) => {
      const { generateTestCert } = await import('../certs/test-cert.js');
      try {
        await generateTestCert(o.sans, (l) => process.stdout.write(`${l}\n`));
      } catch (err) {
        const e = err as Error;
        process.stderr.write(`Certificate creation failed: ${e.name}- ${e.message}\n`);
        process.exitCode = 1;
      }
    });
  registerDbsCommands(program);
  registerManagerCommands(program);
  addConfigFlags(
    program.command('status').description('The services of this node (supervisord programs) and their state'),
  ).action(
    action(async () => {
      const { statusTable } = await import('../components/manager/finish.js');
      const r = await statusTable();
      process.stdout.write(`${r.text}\n`);
      return r.code;
    }),
  );
}
