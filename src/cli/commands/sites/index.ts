// `cfy sites create|get|update|list|delete` (cfy-cli.md A.8).
import { type Command, Option } from 'commander';
import { lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

export function registerSiteCommands(program: Command): void {
  const g = program.command('sites').description('Handle the sites');
  const s = (name: string) => lazy(async () => ({ run: (await import('./sites.js')).actions[name]! }));
  const location = '"latitude,longitude", e.g. "32.071072,34.787274"';
  visibilityOption(
    tenantOption(
      g
        .command('create')
        .description('Create a new site')
        .argument('<name>')
        .option('--location <lat,long>', location),
    ),
  ).action(s('create'));
  tenantOption(g.command('get').description('Get details for a single site').argument('<name>')).action(
    s('get'),
  );
  tenantOption(
    g
      .command('update')
      .description('Update an existing site')
      .argument('<name>')
      .option('--location <lat,long>', `${location} ("" clears it)`)
      .addOption(
        new Option('-l, --visibility <visibility>', 'who can see the site').choices([
          'private',
          'tenant',
          'global',
        ]),
      )
      .option('-n, --new-name <name>', 'the new name of the site'),
  ).action(s('update'));
  listOptions(tenantOption(g.command('list').description('List all sites'))).action(s('list'));
  tenantOption(g.command('delete').description('Delete a site').argument('<name>')).action(s('delete'));
}
