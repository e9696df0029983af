// `cfy agents list` and `cfy tokens get` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy, tenantOption } from '../shared.js';

const many = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

export function registerAgentCommands(program: Command): void {
  const g = program.command('agents').description("Handle a deployment's agents");
  tenantOption(
    g
      .command('list')
      .description('List installed agents')
      .option('--node-instance-id <id>', 'only the agents of these node instances', many)
      .option('--node-id <id>', 'only the agents of these nodes', many)
      .option('--install-method <method>', 'only agents installed this way', many)
      .option('--deployment-id <id>', 'only the agents of these deployments', many)
      .option('-a, --all-tenants', 'include agents from all tenants the user can see'),
  ).action(lazy(async () => ({ run: (await import('./agents.js')).list })));
  const t = program.command('tokens').description('Returns a valid REST token from the Cloudify Manager');
  t.command('get')
    .description('Returns a valid REST token from the Cloudify Manager')
    .action(lazy(async () => ({ run: (await import('./agents.js')).token })));
}
