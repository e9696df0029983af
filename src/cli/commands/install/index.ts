// `cfy install` and `cfy uninstall`: the shortcuts (cfy-cli.md A.8 "other").
import type { Command } from 'commander';
import { startOptions } from '../executions/index.js';
import { collect, lazy, tenantOption, visibilityOption } from '../shared.js';

export function registerInstallCommands(program: Command): void {
  visibilityOption(
    tenantOption(
      startOptions(
        program
          .command('install')
          .description('Upload a blueprint, create a deployment and run its install workflow')
          .argument(
            '[blueprint-path]',
            'the blueprint (default: blueprint.yaml here); omit with -b to use an uploaded one',
          )
          .option('-b, --blueprint-id <id>', 'the blueprint id')
          .option('-d, --deployment-id <id>', 'the deployment id (default: the blueprint id)')
          .option('-n, --blueprint-filename <file>', 'the main file inside a directory or archive')
          .option('-i, --inputs <inputs>', 'deployment inputs (repeatable)', collect)
          .option('-w, --workflow-id <id>', 'the workflow to run', 'install')
          .option('--validate', 'validate the blueprint locally before uploading'),
      ),
    ),
  ).action(lazy(() => import('./install.js')));
  tenantOption(
    startOptions(
      program
        .command('uninstall')
        .description('Run the uninstall workflow, then delete the deployment and its blueprint')
        .argument('<deployment-id>')
        .option('-w, --workflow-id <id>', 'the workflow to run', 'uninstall'),
    ),
  ).action(lazy(() => import('./uninstall.js')));
}
