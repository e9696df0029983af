// `cfy_manager worker`: the management worker as its own process (server setup). It shares the
// database and the file server's folder with the REST service and takes executions from RabbitMQ;
// several workers on several managers compete for them. SIGTERM stops taking new executions and
// exits; executions it was running are redelivered to another worker by the broker.
import type { Command } from 'commander';
import { registerServerOptions, serverUrl } from './options.js';

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
    .action(async (o: Record<string, string | undefined>, command: Command) => {
      // Loaded only to run: `cfy_manager --help` and the other commands do not pay for the worker.
      const { runWorker } = await import('./worker-process.js');
      await runWorker({ ...o, db: serverUrl(command, o, 'db'), amqp: serverUrl(command, o, 'amqp') });
    });
}
