// `cfy_manager brokers list|add|remove` (reference §1.3, §5.5), run on a queue node: the flags only. The
// actions (brokers-actions.ts) parse the config and check the markers; the logic is in components/queue/brokers.ts.
import type { Command } from 'commander';
import type { BrokersFlags } from './brokers-actions.js';

// The actions and what they need (config, RabbitMQ tools) load only when a brokers command runs.
const actions = () => import('./brokers-actions.js');
const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerBrokersCommands(program: Command): void {
  const brokers = program.command('brokers').description('Manage the RabbitMQ cluster (run on a queue node)');
  const common = (c: Command) =>
    c
      .option('-c, --config-file <file>', 'config file under /etc/cloudify (repeatable)', collect)
      .option('-v, --verbose', 'show debug output');

  common(
    brokers.command('list').description('List the brokers of the cluster, running or not, and their alarms'),
  ).action(async (flags: BrokersFlags) => (await actions()).list(flags));

  common(
    brokers
      .command('add')
      .description('Join this broker to the cluster of another node')
      .requiredOption('-j, --join-node <node>', 'a node of the cluster to join (rabbit@host or host)'),
  ).action(async (flags: BrokersFlags) => (await actions()).add(flags));

  common(
    brokers
      .command('remove')
      .description('Remove a broker that is shut down from the cluster')
      .requiredOption('-r, --remove-node <node>', 'the node to remove (rabbit@host or host)'),
  ).action(async (flags: BrokersFlags) => (await actions()).remove(flags));
}
