// `cfy users` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, listOptions } from '../shared.js';

export function registerUserCommands(program: Command): void {
  const g = program.command('users').description('Handle users');
  const u = (name: string) => lazy(async () => ({ run: (await import('./users.js')).actions[name]! }));
  g.command('create')
    .description('Create a user')
    .argument('<username>')
    .requiredOption('-p, --password <password>', 'the password')
    .option('-r, --security-role <role>', 'the system role', 'default')
    .option('-t, --tenant-name <tenant>', 'also add the user to this tenant')
    .option('-l, --user-tenant-role <role>', 'the role in that tenant')
    .action(u('create'));
  listOptions(g.command('list').description('List users'), false)
    .option('--get-data', 'show the tenants of each user')
    .action(u('list'));
  g.command('get')
    .description('Show a user (default: yourself)')
    .argument('[username]')
    .option('--get-data', 'show the tenants of the user')
    .action(u('get'));
  g.command('set-password')
    .description("Set a user's password")
    .argument('<username>')
    .requiredOption('-p, --password <password>', 'the new password')
    .action(u('set-password'));
  g.command('set-role')
    .description("Set a user's system role")
    .argument('<username>')
    .requiredOption('-r, --security-role <role>', 'the role')
    .action(u('set-role'));
  g.command('activate').description('Activate a user').argument('<username>').action(u('activate'));
  g.command('deactivate').description('Deactivate a user').argument('<username>').action(u('deactivate'));
  g.command('unlock').description('Unlock a locked user').argument('<username>').action(u('unlock'));
  g.command('delete').description('Delete a user').argument('<username>').action(u('delete'));
}
