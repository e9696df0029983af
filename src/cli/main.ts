// `cfy`: the program is a list of register calls; each group declares its commands and imports the
// action file only when it runs. This file is also the one place where errors become exit codes.
import { Command, Option } from 'commander';
import type { Ctx } from './context.js';
import { registerAgentCommands } from './commands/agents/index.js';
import { registerBlueprintCommands } from './commands/blueprints/index.js';
import { registerClusterCommands } from './commands/cluster/index.js';
import { registerConfigCommands } from './commands/config/index.js';
import { registerDeploymentCommands } from './commands/deployments/index.js';
import { registerEventCommands } from './commands/events/index.js';
import { registerExecutionCommands } from './commands/executions/index.js';
import { registerInitCommand } from './commands/init/index.js';
import { registerInstallCommands } from './commands/install/index.js';
import { registerLicenseCommands } from './commands/license/index.js';
import { registerMaintenanceCommands } from './commands/maintenance/index.js';
import { registerNodeCommands } from './commands/nodes/index.js';
import { registerPluginCommands } from './commands/plugins/index.js';
import { registerProfileCommands } from './commands/profiles/index.js';
import { registerSecretCommands } from './commands/secrets/index.js';
import { registerSiteCommands } from './commands/sites/index.js';
import { registerSnapshotCommands } from './commands/snapshots/index.js';
import { registerStatusCommand } from './commands/status/index.js';
import { registerTenantCommands } from './commands/tenants/index.js';
import { registerUserCommands } from './commands/users/index.js';
import { EXIT_CODES_HELP } from './exit-codes.js';
import { globalsOf } from './globals.js';
import { Output } from './output.js';
import { resolvePrefixes } from './prefix.js';
import { report } from './report.js';

export const CLI_VERSION = '5.1';

export function buildProgram(): Command {
  const program = new Command('cfy')
    .description('Cloudify-compatible command line for Stratus')
    .option(
      '-v, --verbose',
      'show verbose output; repeat (-vv, -vvv) for more',
      (_: string, n: number) => n + 1,
      0,
    )
    .option('--json', 'output JSON only on stdout (logs go to stderr)')
    .addOption(new Option('--format <format>', 'output format').choices(['plain', 'json']))
    .option('-q, --quiet', 'show only errors and results')
    .option('--manager <host>', 'send requests to this cluster node only (no failover)')
    .option('--version', 'show the CLI version (and the manager version, when a profile is active)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(false);
  program.action(async () => program.help());
  for (const register of [
    registerInitCommand,
    registerStatusCommand,
    registerProfileCommands,
    registerClusterCommands,
    registerBlueprintCommands,
    registerDeploymentCommands,
    registerExecutionCommands,
    registerEventCommands,
    registerNodeCommands,
    registerPluginCommands,
    registerSecretCommands,
    registerUserCommands,
    registerTenantCommands,
    registerLicenseCommands,
    registerMaintenanceCommands,
    registerSiteCommands,
    registerSnapshotCommands,
    registerAgentCommands,
    registerConfigCommands,
    registerInstallCommands,
  ]) {
    register(program);
  }
  return program;
}

/** Every command inherits the program's error handling. */
function inherit(cmd: Command): void {
  for (const c of cmd.commands) {
    c.exitOverride();
    c.configureOutput({ outputError: () => {} });
    c.showSuggestionAfterError(false);
    inherit(c);
  }
}

async function printVersion(out: Output, ctx: Ctx): Promise<void> {
  let line = `Cloudify CLI ${CLI_VERSION} (Stratus)`;
  try {
    const client = ctx.client({ save: false });
    const v = await client.manager.version();
    line += `\nCloudify Manager ${v.edition} ${v.version} [ip=${client.transport.current.host}]`;
  } catch {
    // no profile, or the manager is down: the CLI version alone
  }
  out.print(line);
}

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  const program = buildProgram();
  inherit(program);
  let out = new Output({
    json: args.includes('--json'),
    verbose: args.filter((a) => /^-v+$|^--verbose$/.test(a)).length,
  });
  try {
    const resolved = resolvePrefixes(program, args);
    if (
      resolved[0] === '--version' ||
      (resolved.includes('--version') && !resolved.some((a) => !a.startsWith('-')))
    ) {
      program.parseOptions(resolved);
      const { Ctx } = await import('./context.js');
      const ctx = Ctx.of(program);
      out = ctx.out;
      await printVersion(out, ctx);
      return;
    }
    program.hook('preAction', (_this, action) => {
      const g = globalsOf(action);
      out = new Output({ json: g.json, verbose: g.verbose, quiet: g.quiet });
    });
    await program.parseAsync(resolved, { from: 'user' });
  } catch (e) {
    process.exitCode = report(e, out);
  }
}
