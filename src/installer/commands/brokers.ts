// `cfy_manager brokers list|add|remove` (reference §1.3, §5.5), run on a queue node. The logic lives in
// components/queue/brokers.ts; this file parses the flags, loads the config, checks the markers.
import { lookup } from 'node:dns/promises';
import { existsSync, readdirSync } from 'node:fs';
import type { Command } from 'commander';
import { brokersAdd, brokersList, brokersRemove } from '../components/queue/brokers.js';
import { localTarget } from '../components/queue/component.js';
import { type QueueConfig, rabbitNodename } from '../components/queue/config.js';
import { ctl, joinCluster } from '../components/queue/ctl.js';
import { listRabbitNodes } from '../components/queue/management.js';
import { loadConfig } from '../config/load.js';
import { errorLine } from '../errors.js';
import { Logger, mainLog, setupLogging } from '../log.js';
import { CONFIGURED_DIR } from '../paths.js';

const log = new Logger('rabbitmq');

interface Flags {
  configFile?: string[];
  verbose?: boolean;
  joinNode?: string;
  removeNode?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

class PreconditionError extends Error {}

/** §1.3: every service of the config configured, and queue_service among them. */
export function checkConfigured(
  cmd: string,
  config: QueueConfig & { config_files?: string[] },
  dir = CONFIGURED_DIR,
) {
  const configured = existsSync(dir) ? readdirSync(dir).filter((n) => !n.endsWith('.yaml')) : [];
  const wanted = config.services_to_install ?? [];
  if (!wanted.every((s) => configured.includes(s))) {
    throw new PreconditionError(
      `Files in ${dir} do not match configured services.\nMake sure you use the correct config file (currently used: ${(config.config_files ?? []).join(', ')}).\nThis can also mean you need to run \`cfy_manager configure\` before running \`cfy_manager ${cmd}\`.`,
    );
  }
  if (!configured.includes('queue_service')) {
    throw new PreconditionError(
      `Running \`cfy_manager ${cmd}\` requires at least one of [queue_service] to be configured on this node`,
    );
  }
}

async function resolves(host: string): Promise<boolean> {
  try {
    await lookup(host);
    return true;
  } catch {
    return false;
  }
}

async function runBrokers(cmd: string, flags: Flags, body: (config: QueueConfig) => Promise<number>) {
  setupLogging({ verbose: flags.verbose });
  let code: number;
  try {
    const config = loadConfig({ configFiles: flags.configFile });
    checkConfigured(cmd, config);
    code = await body(config);
  } catch (err) {
    mainLog.error(err instanceof PreconditionError ? err.message : errorLine(err));
    code = 1;
  }
  process.exitCode = code;
}

function deps(config: QueueConfig) {
  const target = localTarget(config);
  return {
    list: () => listRabbitNodes(target),
    log,
    print: (text: string) => process.stdout.write(`${text}\n`),
  };
}

export function registerBrokersCommands(program: Command): void {
  const brokers = program.command('brokers').description('Manage the RabbitMQ cluster (run on a queue node)');
  const common = (c: Command) =>
    c
      .option('-c, --config-file <file>', 'config file under /etc/cloudify (repeatable)', collect)
      .option('-v, --verbose', 'show debug output');

  common(
    brokers.command('list').description('List the brokers of the cluster, running or not, and their alarms'),
  ).action((flags: Flags) => runBrokers('brokers_list', flags, (config) => brokersList(deps(config))));

  common(
    brokers
      .command('add')
      .description('Join this broker to the cluster of another node')
      .requiredOption('-j, --join-node <node>', 'a node of the cluster to join (rabbit@host or host)'),
  ).action((flags: Flags) =>
    runBrokers('brokers_add', flags, (config) => {
      const d = deps(config);
      const target = localTarget(config);
      const self = rabbitNodename(config.rabbitmq);
      return brokersAdd(
        {
          ...d,
          resolves,
          join: (node) => joinCluster(ctl, self, node, async () => (await listRabbitNodes(target))?.nodes),
          repairUsers: async () => {
            const r = config.rabbitmq;
            await ctl(['delete_user', 'guest'], { ignoreFailure: true });
            const users = await ctl(['list_users', '--formatter', 'json'], { ignoreFailure: true });
            if (!users.stdout.includes(`"${r.username}"`)) {
              await ctl(['add_user', r.username], { input: `${r.password}\n` });
              await ctl(['set_user_tags', r.username, 'administrator']);
              await ctl(['set_permissions', '-p', '/', r.username, '.*', '.*', '.*']);
            }
          },
        },
        flags.joinNode!,
      );
    }),
  );

  common(
    brokers
      .command('remove')
      .description('Remove a broker that is shut down from the cluster')
      .requiredOption('-r, --remove-node <node>', 'the node to remove (rabbit@host or host)'),
  ).action((flags: Flags) =>
    runBrokers('brokers_remove', flags, (config) =>
      brokersRemove({ ...deps(config), ctl }, flags.removeNode!),
    ),
  );
}
