// The actions of `cfy_manager brokers list|add|remove` (cfy_manager.md §5), loaded when one runs.
import { existsSync, readdirSync } from 'node:fs';
import { brokersAdd, brokersList, brokersRemove } from '../components/queue/brokers.js';
import { localTarget, resolves } from '../components/queue/component.js';
import { type QueueConfig, rabbitNodename } from '../components/queue/config.js';
import { ctl, joinCluster } from '../components/queue/ctl.js';
import { listRabbitNodes } from '../components/queue/management.js';
import { loadConfig } from '../config/load.js';
import { errorLine } from '../errors.js';
import { Logger, mainLog, setupLogging } from '../log.js';
import { CONFIGURED_DIR } from '../paths.js';

const log = new Logger('rabbitmq');

export interface BrokersFlags {
  configFile?: string[];
  verbose?: boolean;
  joinNode?: string;
  removeNode?: string;
}

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

async function runBrokers(cmd: string, flags: BrokersFlags, body: (config: QueueConfig) => Promise<number>) {
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

export const list = (flags: BrokersFlags) =>
  runBrokers('brokers_list', flags, (config) => brokersList(deps(config)));

export const add = (flags: BrokersFlags) =>
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
  });

export const remove = (flags: BrokersFlags) =>
  runBrokers('brokers_remove', flags, (config) => brokersRemove({ ...deps(config), ctl }, flags.removeNode!));
