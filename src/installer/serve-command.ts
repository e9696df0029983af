// `cfy_manager serve` (= `npm start`): the all-in-one manager in the foreground.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { defaultConfig } from '../manager/config.js';
import { serve } from '../manager/server.js';

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
    .option('--amqp <url>', 'RabbitMQ URL (env STRATUS_AMQP_URL)', process.env.STRATUS_AMQP_URL)
    .option('--amqp-ca <file>', 'CA bundle for an amqps:// URL (env STRATUS_AMQP_CA)')
    .action(async (o: Record<string, string | undefined>) => {
      if (o.amqpCa) process.env.STRATUS_AMQP_CA = o.amqpCa; // read by createManager's RabbitMQ bus
      const port = Number(o.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port must be a number from 0 to 65535, got "${o.port}"`);
      }
      const config = defaultConfig({
        host: o.host,
        port,
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        adminPassword: o.adminPassword ?? process.env.STRATUS_ADMIN_PASSWORD,
        dbUrl: o.db,
        amqpUrl: o.amqp,
        secretsKey: process.env.STRATUS_SECRETS_KEY,
        hostname: hostname(),
      });
      await serve(config);
    });
}
