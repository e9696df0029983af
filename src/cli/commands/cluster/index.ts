// `cfy cluster …`, plus the top-level `cfy managers list` and `cfy db-nodes list` (cfy-cli.md A.7).
import { type Command, InvalidArgumentError } from 'commander';
import { collect, lazy } from '../shared.js';

type BrokerAction = 'get' | 'add' | 'remove' | 'update';
const brokerAction = (name: BrokerAction) =>
  lazy(async () => ({ run: (await import('./brokers.js'))[name] as never }));
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('give a port from 1 to 65535');
  return n;
};
const STATUS_HELP = [
  "Show the cluster's status (OK, Degraded or Fail) per service type: `broker`, `db` and `manager`.",
  '',
  'Prints `Retrieving Cloudify cluster status... [ip=<manager>]`, then `Current cluster status is <status>:` and',
  'the `Cluster status services:` table; on a cluster profile it also names the manager that answered',
  '(`Answered by manager <name> (<host>:<port>).`), which is another one when the first did not answer.',
  '`--json` prints the whole document of GET /cluster-status: per node its status, `failures`, and the',
  '`services` and `metrics` that Prometheus reported (or, on a manager without Prometheus, what the',
  'manager checked itself). Before that, as every cluster command of 5.1, it warns when the manager is an',
  'all-in-one or the only manager. As in 5.1 it exits 0 whatever the status (a script reads `status` from',
  '`--json`, or asks GET /cluster-status?summary=true, which answers HTTP 500 on Fail); it exits non-zero',
  'only when no manager answers or the credentials are refused.',
].join('\n');
const NETWORKS_HELP = 'networks as NAME=ADDRESS[,NAME=ADDRESS…] or a JSON object (repeatable)';

/** `cluster brokers get | add | remove | update` next to `cluster brokers list`. */
function brokerCommands(brokers: Command): void {
  brokers
    .command('get')
    .description('Show one registered broker')
    .argument('<name>')
    .action(brokerAction('get'));
  brokers
    .command('add')
    .description('Register a broker (its RabbitMQ node joins the cluster with `cfy_manager brokers add`)')
    .argument('<name>')
    .argument('<address>', 'the address managers and agents reach the broker at')
    .option('--port <port>', 'the AMQP port (default: 5671)', port)
    .option('-n, --networks <networks>', NETWORKS_HELP, collect)
    .action(brokerAction('add'));
  brokers
    .command('remove')
    .description('Unregister a broker (the RabbitMQ node is not touched)')
    .argument('<name>')
    .action(brokerAction('remove'));
  brokers
    .command('update')
    .description('Add networks to a broker, or give an existing one a new address')
    .argument('<name>')
    .requiredOption('-n, --networks <networks>', NETWORKS_HELP, collect)
    .action(brokerAction('update'));
}

function nodeLists(parent: Command, kinds: ('managers' | 'brokers' | 'db-nodes')[]): void {
  for (const kind of kinds) {
    parent
      .command(kind)
      .description(`Handle the cluster's ${kind.replace('-', ' ')}`)
      .command('list')
      .description(`List the ${kind.replace('-', ' ')} of the cluster`)
      .action(lazy(async () => ({ run: (await import('./lists.js')).listers[kind] })));
  }
}

export function registerClusterCommands(program: Command): void {
  const g = program.command('cluster').description('Handle the Cloudify Manager cluster');
  g.command('status')
    .summary("Show the cluster's status (OK, Degraded or Fail) per service")
    .description(STATUS_HELP)
    .action(lazy(() => import('./status.js')));
  g.command('update-profile')
    .description('Store the cluster nodes in the active profile')
    .action(lazy(() => import('./update-profile.js')));
  g.command('remove')
    .description('Unregister a manager node from the cluster (it is not torn down)')
    .argument('<hostname>')
    .action(lazy(() => import('./remove.js')));
  nodeLists(g, ['managers', 'brokers', 'db-nodes']);
  brokerCommands(g.commands.find((c) => c.name() === 'brokers')!);
  nodeLists(program, ['managers', 'db-nodes']);
}
