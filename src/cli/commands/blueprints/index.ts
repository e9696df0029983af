// `cfy blueprints` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

export function registerBlueprintCommands(program: Command): void {
  const g = program.command('blueprints').description('Handle blueprints on the manager');
  visibilityOption(
    tenantOption(
      g
        .command('upload')
        .description('Upload a blueprint: a YAML file, a directory, an archive or a URL')
        .argument('<blueprint-path>')
        .option('-b, --blueprint-id <id>', 'the blueprint id (default: from the folder or archive name)')
        .option(
          '-n, --blueprint-filename <file>',
          'the main file inside a directory, archive or URL',
          undefined,
        )
        .option('--validate', 'validate the blueprint locally before uploading'),
    ),
  ).action(lazy(() => import('./upload.js')));
  listOptions(tenantOption(g.command('list').description('List blueprints'))).action(
    lazy(() => import('./list.js')),
  );
  tenantOption(g.command('get').description('Show a blueprint').argument('<blueprint-id>')).action(
    lazy(() => import('./get.js')),
  );
  tenantOption(
    g
      .command('download')
      .description('Download a blueprint archive')
      .argument('<blueprint-id>')
      .option('-o, --output-path <path>', 'where to write it (default: <id>.tar.gz)'),
  ).action(lazy(() => import('./download.js')));
  tenantOption(
    g
      .command('delete')
      .description('Delete a blueprint')
      .argument('<blueprint-id>')
      .option('-f, --force', 'delete even if deployments use it'),
  ).action(lazy(() => import('./delete.js')));
  g.command('validate')
    .description('Validate a blueprint locally (parse it, no manager needed)')
    .argument('<blueprint-path>')
    .option('-n, --blueprint-filename <file>', 'the main file inside a directory')
    .action(lazy(() => import('./validate.js')));
  tenantOption(
    g.command('inputs').description("List a blueprint's inputs").argument('<blueprint-id>'),
  ).action(lazy(() => import('./inputs.js')));
}
