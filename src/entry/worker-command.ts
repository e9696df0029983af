// `cfy_manager worker`: the management worker as its own process (server setup). It shares the
// database and the file server's folder with the REST service and takes executions from RabbitMQ;
// several workers on several managers compete for them. SIGTERM stops taking new executions and
// exits; executions it was running are redelivered to another worker by the broker.
import { join } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { redact } from '../bus/rabbitmq.js';
import { busDispatcher } from '../executions/dispatch.js';
import { Lifecycle } from '../executions/lifecycle.js';
import type { Bus } from '../bus/port.js';
import { defaultConfig, type ManagerConfig } from '../manager/config.js';
import type { Db } from '../store/port.js';
import { openStore } from '../store/open.js';
import { workerMetrics } from '../worker/metrics.js';
import { startWorker, type Worker } from '../worker/worker.js';
import { openBus, secretsCipher } from './manager.js';
import { processRegistry, registryExposition, startMetricsListener } from './metrics.js';
import { intOption, registerServerOptions, serverUrl } from './options.js';

export function registerWorkerCommand(program: Command): void {
  registerServerOptions(
    program
      .command('worker')
      .description('Run the management worker alone: executions from RabbitMQ, state in PostgreSQL'),
  )
    .option(
      '--data-dir <dir>',
      'data directory shared with the REST service (env STRATUS_DATA_DIR)',
      process.env.STRATUS_DATA_DIR,
    )
    .option('--concurrency <n>', 'executions this worker runs at once', '20')
    .option(
      '--max-concurrent-workflows <n>',
      'executions that run at once in the cluster (env STRATUS_MAX_CONCURRENT_WORKFLOWS)',
      process.env.STRATUS_MAX_CONCURRENT_WORKFLOWS ?? '20',
    )
    .option('--rest-host <ip>', "the REST service's address that operations use", '127.0.0.1')
    .option('--rest-port <port>', "the REST service's port", '8080')
    .option(
      '--metrics-port <port>',
      'serve our Prometheus metrics on 127.0.0.1:<port>/metrics (env STRATUS_METRICS_PORT)',
      process.env.STRATUS_METRICS_PORT,
    )
    .action((o: Flags, command: Command) =>
      runWorker({ ...o, db: serverUrl(command, o, 'db'), amqp: serverUrl(command, o, 'amqp') }),
    );
}

type Flags = Record<string, string | undefined>;

function workerConfig(o: Flags): ManagerConfig {
  if (!o.db)
    throw new Error('--db is required: the worker shares the PostgreSQL database of the REST service');
  if (!o.amqp) throw new Error('--amqp is required: the worker takes executions from RabbitMQ');
  return defaultConfig({
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    dbUrl: o.db,
    amqpUrl: o.amqp,
    amqpCa: o.amqpCa,
    amqpFollowRegistry: Boolean(o.amqpFollowRegistry),
    maxConcurrentWorkflows: intOption('--max-concurrent-workflows', o.maxConcurrentWorkflows, 1, 100_000),
    secretsKey: process.env.STRATUS_SECRETS_KEY,
    secretsKeyFile: process.env.STRATUS_SECRETS_KEY_FILE || undefined,
    ...(o.metricsPort ? { metricsPort: intOption('--metrics-port', o.metricsPort, 1, 65535) } : {}),
  });
}

async function runWorker(o: Flags): Promise<void> {
  const config = workerConfig(o);
  const dbUrl = config.dbUrl!;
  const amqpUrl = config.amqpUrl!;
  const concurrency = intOption('--concurrency', o.concurrency, 1, 10_000);
  const rest = {
    restHost: o.restHost ?? '127.0.0.1',
    restPort: intOption('--rest-port', o.restPort, 1, 65535),
  };
  const log = pino({ name: 'stratus-worker' });
  // The metrics listener opens first: a taken port fails before anything else is opened.
  const registry = config.metricsPort ? processRegistry() : undefined;
  const onMetricsError = (err: unknown) => log.warn({ err: (err as Error).message }, 'metrics scrape');
  const listener =
    registry && config.metricsPort
      ? await startMetricsListener(config.metricsPort, registryExposition(registry), onMetricsError)
      : undefined;
  let db: Db | undefined;
  let bus: Bus | undefined;
  let worker: Worker;
  try {
    db = await openStore({ dbUrl });
    bus = await openBus(amqpUrl, config.amqpCa, log, config.amqpFollowRegistry ? db : undefined);
    const lifecycle = new Lifecycle({ db, settings: config, dispatcher: busDispatcher(db, bus, rest) });
    worker = await startWorker({
      db,
      bus,
      lifecycle,
      resourcesDir: join(config.dataDir, 'resources'),
      secrets: secretsCipher(config),
      log,
      concurrency,
      ...(registry ? { metrics: workerMetrics(registry, db, onMetricsError) } : {}),
    });
  } catch (err) {
    await listener?.close();
    await bus?.close().catch(() => {});
    await db?.close().catch(() => {});
    throw err;
  }
  log.info({ amqp: redact(amqpUrl) }, 'worker started');
  process.stdout.write('worker started\n');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'worker stopping');
    setTimeout(() => process.exit(1), 10_000).unref();
    await worker.stop();
    await listener?.close();
    await bus?.close();
    await db?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
