// The management worker process that `cfy_manager worker` starts (worker-command.ts): its settings from
// the flags, then the store, the bus and the worker, until SIGTERM.
import { join } from 'node:path';
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
import { intOption, sharedServerConfig } from './options.js';

type Flags = Record<string, string | undefined>;

function workerConfig(o: Flags): ManagerConfig {
  if (!o.db)
    throw new Error('--db is required: the worker shares the PostgreSQL database of the REST service');
  if (!o.amqp) throw new Error('--amqp is required: the worker takes executions from RabbitMQ');
  return defaultConfig({
    ...sharedServerConfig(o),
    ...(o.metricsPort ? { metricsPort: intOption('--metrics-port', o.metricsPort, 1, 65535) } : {}),
  });
}

export async function runWorker(o: Flags): Promise<void> {
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
