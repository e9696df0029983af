// `cfy deployments` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { collect } from '../../inputs.js';
import { lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

export function registerDeploymentCommands(program: Command): void {
  const g = program.command('deployments').description('Handle deployments on the manager');
  visibilityOption(
    tenantOption(
      g
        .command('create')
        .description('Create a deployment from a blueprint')
        .argument('[deployment-id]', 'the deployment id (default: the blueprint id)')
        .requiredOption('-b, --blueprint-id <id>', 'the blueprint to deploy')
        .option(
          '-i, --inputs <inputs>',
          'inputs: a YAML/JSON file, a wildcard, JSON/YAML, or k1=v1;k2=v2 (repeatable)',
          collect,
        )
        .option('-s, --site-name <name>', 'the site of the deployment')
        .option('--skip-plugins-validation', 'do not check that the plugins are on the manager')
        .option('--runtime-only-evaluation', 'evaluate intrinsic functions only at runtime'),
    ),
  ).action(lazy(() => import('./create.js')));
  listOptions(
    tenantOption(
      g
        .command('list')
        .description('List deployments')
        .option('-b, --blueprint-id <id>', 'only those of this blueprint'),
    ),
  ).action(lazy(() => import('./list.js')));
  tenantOption(
    g
      .command('delete')
      .description('Delete a deployment (after uninstalling it)')
      .argument('<deployment-id>')
      .option('-f, --force', 'delete even if it has live node instances')
      .option('-l, --with-logs', 'also delete its events and logs'),
  ).action(lazy(() => import('./delete.js')));
  for (const what of ['inputs', 'outputs', 'capabilities'] as const) {
    tenantOption(
      g.command(what).description(`Show a deployment's ${what}`).argument('<deployment-id>'),
    ).action(lazy(async () => ({ run: (await import('./values.js')).runners[what] })));
  }
}
