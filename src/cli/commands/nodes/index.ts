// `cfy nodes` and `cfy node-instances` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { collect, lazy, listOptions, tenantOption } from '../shared.js';

export function registerNodeCommands(program: Command): void {
  const n = program.command('nodes').description("Handle a deployment's nodes");
  listOptions(
    tenantOption(
      n.command('list').description('List nodes').option('-d, --deployment-id <id>', 'only this deployment'),
    ),
  ).action(lazy(() => import('./list.js')));
  tenantOption(
    n
      .command('get')
      .description('Show a node, its properties and its instances')
      .argument('<node-id>')
      .requiredOption('-d, --deployment-id <id>', 'the deployment of the node'),
  ).action(lazy(() => import('./get.js')));

  const ni = program.command('node-instances').description("Handle a deployment's node instances");
  listOptions(
    tenantOption(
      ni
        .command('list')
        .description('List node instances')
        .option('-d, --deployment-id <id>', 'only this deployment')
        .option('-n, --node-name <name>', 'only instances of this node'),
    ),
  ).action(lazy(() => import('./instances-list.js')));
  tenantOption(
    ni
      .command('get')
      .description('Show a node instance and its runtime properties')
      .argument('<node-instance-id>'),
  ).action(lazy(() => import('./instances-get.js')));
  tenantOption(
    ni
      .command('update-runtime')
      .description('Set runtime properties (dot paths allowed: a.b.c=x)')
      .argument('<node-instance-id>')
      .requiredOption('-p, --properties <k=v>', 'key=value; repeatable; values are YAML', collect),
  ).action(lazy(async () => ({ run: (await import('./runtime.js')).update })));
  tenantOption(
    ni
      .command('delete-runtime')
      .description('Delete runtime properties (dot paths allowed: a.b.c)')
      .argument('<node-instance-id>')
      .requiredOption('-p, --properties <key>', 'key; repeatable', collect),
  ).action(lazy(async () => ({ run: (await import('./runtime.js')).remove })));
}
