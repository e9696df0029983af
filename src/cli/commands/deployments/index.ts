// `cfy deployments` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { collect, lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

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
  registerUpdateCommands(g);
  for (const what of ['inputs', 'outputs', 'capabilities'] as const) {
    tenantOption(
      g.command(what).description(`Show a deployment's ${what}`).argument('<deployment-id>'),
    ).action(lazy(async () => ({ run: (await import('./values.js')).runners[what] })));
  }
}

/** `update`, `history` and `get-update` (5.1's flags). */
function registerUpdateCommands(g: Command): void {
  const flag = (cmd: Command, names: string[], text: string) => {
    for (const n of names) cmd.option(n, text);
    return cmd;
  };
  const update = g
    .command('update')
    .description('Update a deployment to an uploaded blueprint and/or new inputs')
    .argument('<deployment-id>')
    .option('-p, --blueprint-path <path>', 'upload this blueprint first [DEPRECATED: upload it, then use -b]')
    .option('-n, --blueprint-filename <name>', 'the main file of a blueprint archive [DEPRECATED]')
    .option('-b, --blueprint-id <id>', 'the uploaded blueprint to update to')
    .option(
      '-i, --inputs <inputs>',
      'new inputs: a YAML/JSON file, JSON/YAML, or k1=v1;k2=v2 (repeatable)',
      collect,
    )
    .option('-r, --reinstall-list <instance>', 'a node instance to reinstall (repeatable)', collect)
    .option('-w, --workflow-id <id>', 'the workflow to run the update with (default: update)');
  flag(update, ['--skip-install'], 'do not install added node instances');
  flag(update, ['--skip-uninstall'], 'do not uninstall removed node instances');
  flag(update, ['--skip-reinstall'], 'do not reinstall the instances of modified nodes');
  flag(update, ['--ignore-failure'], 'keep uninstalling removed instances when an operation fails');
  flag(update, ['--install-first'], 'install added instances before uninstalling removed ones');
  flag(update, ['--preview'], 'show what the update would do, change nothing');
  flag(update, ['--dont-update-plugins'], 'do not install or uninstall plugins');
  flag(update, ['-f, --force'], 'deprecated; has no effect');
  flag(update, ['--validate'], 'validate the blueprint (with -p) before uploading it');
  flag(update, ['--json-output'], 'print the events as JSON');
  flag(update, ['--runtime-only-evaluation'], 'evaluate intrinsic functions only at runtime');
  update.option('--include-logs', 'include the logs in the events (default)', true);
  update.option('--no-logs', 'leave the logs out of the events');
  visibilityOption(tenantOption(update)).action(
    lazy(async () => {
      const m = await import('./update.js');
      return {
        run: (c, o, id) => m.run(c, { ...o, includeLogs: o.logs !== false && o.includeLogs !== false }, id),
      };
    }),
  );
  listOptions(
    tenantOption(
      g
        .command('history')
        .description('List deployment updates')
        .option('-d, --deployment-id <id>', 'only those of this deployment'),
    ),
  ).action(lazy(async () => ({ run: (await import('./update.js')).history })));
  tenantOption(
    g.command('get-update').description('Show a deployment update').argument('<deployment-update-id>'),
  ).action(lazy(async () => ({ run: (await import('./update.js')).getUpdate })));
}
