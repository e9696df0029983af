// `cfy_manager worker`: the management worker as its own process (server setup). It shares the
// database and the file server's folder with the REST service and takes executions from RabbitMQ;
// several workers on several managers compete for them. SIGTERM stops taking new executions and
// exits; executions it was running are redelivered to another worker by the broker.
import { join } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { createRabbitBus, redact } from '../bus/rabbitmq.js';
import { defaultConfig } from '../manager/config.js';
import { busDispatcher, statusPort } from '../manager/create.js';
import { createCipher, loadOrCreateKeyFile, parseKey } from '../manager/secrets-crypto.js';
import { openStore } from '../store/open.js';
import { startWorker } from '../worker/worker.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Run the management worker alone: executions from RabbitMQ, state in PostgreSQL')
    .option('--db <url>', 'PostgreSQL URL (env STRATUS_DB_URL)', process.env.STRATUS_DB_URL)
    .option(
      '--amqp <url>',
      'RabbitMQ URL, amqp:// or amqps:// (env STRATUS_AMQP_URL)',
      process.env.STRATUS_AMQP_URL,
    )
    .option('--amqp-ca <file>', 'CA bundle for amqps:// (env STRATUS_AMQP_CA)', process.env.STRATUS_AMQP_CA)
    .option(
      '--data-dir <dir>',
      'data directory shared with the REST service (env STRATUS_DATA_DIR)',
      process.env.STRATUS_DATA_DIR,
    )
    .option('--concurrency <n>', 'executions run at once', '20')
    .action(async (o: Record<string, string | undefined>) => {
      if (!o.db)
        throw new Error('--db is required: the worker shares the PostgreSQL database of the REST service');
      if (!o.amqp) throw new Error('--amqp is required: the worker takes executions from RabbitMQ');
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new Error(`--concurrency must be an integer >= 1, got "${o.concurrency}"`);
      const config = defaultConfig({
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        dbUrl: o.db,
        amqpUrl: o.amqp,
      });
      const log = pino({ name: 'stratus-worker' });
      const db = await openStore({ dbUrl: o.db });
      const bus = await createRabbitBus({
        url: o.amqp,
        ca: o.amqpCa,
        onError: (err) => log.warn({ err: (err as Error).message }, 'RabbitMQ'),
        onState: (msg) => log.info(msg),
      });
      const key = process.env.STRATUS_SECRETS_KEY
        ? parseKey(process.env.STRATUS_SECRETS_KEY)
        : loadOrCreateKeyFile(join(config.dataDir, 'secrets.key'));
      const ctx = { db, config, dispatcher: busDispatcher(db, bus, config) };
      const worker = await startWorker({
        db,
        bus,
        status: statusPort(ctx),
        resourcesDir: join(config.dataDir, 'resources'),
        secrets: createCipher(key),
        log,
        concurrency,
      });
      log.info({ amqp: redact(o.amqp) }, 'worker started');
      process.stdout.write('worker started\n');
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'worker stopping');
        setTimeout(() => process.exit(1), 10_000).unref();
        await worker.stop();
        await bus.close();
        await db.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
