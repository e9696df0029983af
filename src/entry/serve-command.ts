// `cfy_manager serve` (= `npm start`): the all-in-one manager in the foreground.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultConfig } from '../manager/config.js';
import { intOption } from './options.js';
import { serve } from './serve.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('Start the all-in-one manager (REST API, file server, worker) in the foreground')
    .option('--host <host>', 'listen address (env STRATUS_HOST)', process.env.STRATUS_HOST ?? '127.0.0.1')
    .option('--port <port>', 'listen port (env STRATUS_PORT)', process.env.STRATUS_PORT ?? '8080')
    .option('--data-dir <dir>', 'data directory (env STRATUS_DATA_DIR)', process.env.STRATUS_DATA_DIR)
    .option('--admin-password <password>', 'bootstrap admin password (env STRATUS_ADMIN_PASSWORD)')
    .option(
      '--db <url>',
      'PostgreSQL URL, several hosts allowed (env STRATUS_DB_URL)',
      process.env.STRATUS_DB_URL,
    )
    .option(
      '--amqp <url>',
      'RabbitMQ URL, several brokers allowed: amqps://user:pw@h1:5671,h2:5671,h3:5671/ (env STRATUS_AMQP_URL)',
      process.env.STRATUS_AMQP_URL,
    )
    .option(
      '--amqp-ca <file>',
      "CA that signed the brokers' certificates, for amqps:// (env STRATUS_AMQP_CA)",
      process.env.STRATUS_AMQP_CA,
    )
    .option(
      '--max-concurrent-workflows <n>',
      'executions that run at once; more wait as queued (env STRATUS_MAX_CONCURRENT_WORKFLOWS)',
      process.env.STRATUS_MAX_CONCURRENT_WORKFLOWS ?? '20',
    )
    .action(async (o: Record<string, string | undefined>) => {
      const config = defaultConfig({
        host: o.host,
        port: intOption('--port', o.port, 0, 65535),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        adminPassword: o.adminPassword ?? process.env.STRATUS_ADMIN_PASSWORD,
        dbUrl: o.db,
        amqpUrl: o.amqp,
        amqpCa: o.amqpCa,
        maxConcurrentWorkflows: intOption('--max-concurrent-workflows', o.maxConcurrentWorkflows, 1, 100_000),
        secretsKey: process.env.STRATUS_SECRETS_KEY,
        hostname: hostname(),
      });
      await serve(config);
    });
}
