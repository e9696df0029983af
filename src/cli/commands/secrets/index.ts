// `cfy secrets` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

export function registerSecretCommands(program: Command): void {
  const g = program.command('secrets').description('Handle secrets (key-value pairs)');
  visibilityOption(
    tenantOption(
      g
        .command('create')
        .description('Create a secret')
        .argument('<key>')
        .option('-s, --secret-string <value>', 'the value')
        .option('-f, --secret-file <path>', 'read the value from a file')
        .option('-u, --update-if-exists', 'update the secret if it exists')
        .option('--hidden-value', 'hide the value from users who did not create it'),
    ),
  ).action(lazy(async () => ({ run: (await import('./secrets.js')).create })));
  tenantOption(g.command('get').description('Show a secret').argument('<key>')).action(
    lazy(async () => ({ run: (await import('./secrets.js')).get })),
  );
  listOptions(tenantOption(g.command('list').description('List secrets'))).action(
    lazy(async () => ({ run: (await import('./secrets.js')).list })),
  );
  tenantOption(
    g
      .command('update')
      .description("Update a secret's value or visibility of its value")
      .argument('<key>')
      .option('-s, --secret-string <value>', 'the new value')
      .option('-f, --secret-file <path>', 'read the new value from a file')
      .option('--hidden-value', 'hide the value')
      .option('--visible-value', 'show the value'),
  ).action(lazy(async () => ({ run: (await import('./secrets.js')).update })));
  tenantOption(g.command('delete').description('Delete a secret').argument('<key>')).action(
    lazy(async () => ({ run: (await import('./secrets.js')).remove })),
  );
}
