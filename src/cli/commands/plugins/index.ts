// `cfy plugins` (cfy-cli.md A.8): upload, list, get, download, delete.
import type { Command } from 'commander';
import { lazy, listOptions, tenantOption, visibilityOption } from '../shared.js';

const action = (name: 'upload' | 'list' | 'get' | 'download' | 'remove') =>
  lazy(async () => ({ run: (await import('./plugins.js'))[name] }));

export function registerPluginCommands(program: Command): void {
  const g = program.command('plugins').description('Handle plugins on the manager');
  visibilityOption(
    tenantOption(
      g
        .command('upload')
        .description('Upload a plugin: its wagon and its plugin.yaml')
        .argument('<plugin-path>', 'the wagon (.wgn)')
        .requiredOption('-y, --yaml-path <path>', "the plugin's plugin.yaml")
        .option('-i, --icon-path <path>', 'an icon (png) for the console')
        .option('--title <title>', 'a title for the plugin (default: its package name)')
        .option('--private-resource', 'make the plugin private (same as -l private)'),
    ),
  ).action(action('upload'));
  listOptions(tenantOption(g.command('list').description('List plugins')))
    .option('--get-data', 'also show file_server_path, supported_platform and supported_py_versions')
    .action(action('list'));
  tenantOption(
    g
      .command('get')
      .description('Show a plugin')
      .argument('<plugin-id>')
      .option('--get-data', 'also show file_server_path, supported_platform and supported_py_versions'),
  ).action(action('get'));
  tenantOption(
    g
      .command('download')
      .description("Download a plugin's wagon")
      .argument('<plugin-id>')
      .option('-o, --output-path <path>', 'where to write it (default: <plugin-id>.tar.gz)'),
  ).action(action('download'));
  tenantOption(
    g
      .command('delete')
      .description('Delete a plugin')
      .argument('<plugin-id>')
      .option('-f, --force', 'delete even if a deployment uses it'),
  ).action(action('remove'));
}
