// `cfy tenants` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, listOptions } from '../shared.js';

export function registerTenantCommands(program: Command): void {
  const g = program.command('tenants').description('Handle tenants');
  const t = (name: string) => lazy(async () => ({ run: (await import('./tenants.js')).actions[name]! }));
  g.command('create').description('Create a tenant').argument('<tenant-name>').action(t('create'));
  listOptions(g.command('list').description('List tenants'), false)
    .option('--get-data', 'show the users of each tenant')
    .action(t('list'));
  g.command('get')
    .description('Show a tenant')
    .argument('<tenant-name>')
    .option('--get-data', 'show the users of the tenant')
    .action(t('get'));
  g.command('delete').description('Delete a tenant').argument('<tenant-name>').action(t('delete'));
  g.command('add-user')
    .description('Add a user to a tenant')
    .argument('<username>')
    .requiredOption('-t, --tenant-name <tenant>', 'the tenant')
    .requiredOption('-r, --role <role>', 'the role in the tenant (e.g. user, manager, viewer)')
    .action(t('add-user'));
  g.command('update-user')
    .description("Change a user's role in a tenant")
    .argument('<username>')
    .requiredOption('-t, --tenant-name <tenant>', 'the tenant')
    .requiredOption('-r, --role <role>', 'the new role')
    .action(t('update-user'));
  g.command('remove-user')
    .description('Remove a user from a tenant')
    .argument('<username>')
    .requiredOption('-t, --tenant-name <tenant>', 'the tenant')
    .action(t('remove-user'));
}
