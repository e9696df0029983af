// `cfy_manager serve` (= `npm start`): the manager in the foreground. Without certificates it serves
// plain HTTP on --port; with --internal-cert/--internal-key it serves the TLS front of
// cfy_manager.md §6.5 (front.ts) on --https-port, --internal-port and --http-port instead.
import type { Command } from 'commander';
import { registerServerOptions } from './options.js';
import type { Flags } from './serve-config.js';

function registerTlsOptions(cmd: Command): Command {
  const env = (name: string) => process.env[`STRATUS_${name}`];
  return cmd
    .option(
      '--internal-cert <file>',
      'internal certificate (PEM): turns the TLS front on (env STRATUS_INTERNAL_CERT)',
      env('INTERNAL_CERT'),
    )
    .option('--internal-key <file>', 'its private key (env STRATUS_INTERNAL_KEY)', env('INTERNAL_KEY'))
    .option(
      '--external-cert <file>',
      'external certificate, served to --public-name (env STRATUS_EXTERNAL_CERT)',
      env('EXTERNAL_CERT'),
    )
    .option('--external-key <file>', 'its private key (env STRATUS_EXTERNAL_KEY)', env('EXTERNAL_KEY'))
    .option(
      '--ca-cert <file>',
      'the CA that issued the internal certificate (env STRATUS_CA_CERT)',
      env('CA_CERT'),
    )
    .option('--https-port <port>', 'external REST port (TLS)', '443')
    .option('--internal-port <port>', 'internal REST port (TLS, internal certificate)', '53333')
    .option('--http-port <port>', 'plain port: 400 SSL_REQUIRED for /api, 308 to https otherwise', '80')
    .option(
      '--public-name <name>',
      "the manager's public hostname or IP (env STRATUS_PUBLIC_NAME)",
      env('PUBLIC_NAME'),
    )
    .option(
      '--workers <n>',
      'REST worker processes, 0 = int(CPUs × 0.25) + 1 (more than 1 only with --db and --amqp) (env STRATUS_WORKERS)',
      env('WORKERS') ?? '0',
    );
}

export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve', { isDefault: true })
    .description('Start the all-in-one manager (REST API, file server, worker) in the foreground')
    .option('--host <host>', 'listen address (env STRATUS_HOST)', process.env.STRATUS_HOST ?? '127.0.0.1')
    .option(
      '--port <port>',
      'listen port without certificates (env STRATUS_PORT)',
      process.env.STRATUS_PORT ?? '8080',
    )
    .option('--data-dir <dir>', 'data directory (env STRATUS_DATA_DIR)', process.env.STRATUS_DATA_DIR)
    .option('--admin-password <password>', 'bootstrap admin password (env STRATUS_ADMIN_PASSWORD)')
    .option(
      '--max-concurrent-workflows <n>',
      'executions that run at once; more wait as queued (env STRATUS_MAX_CONCURRENT_WORKFLOWS)',
      process.env.STRATUS_MAX_CONCURRENT_WORKFLOWS ?? '20',
    )
    .option(
      '--metrics-port <port>',
      'serve our Prometheus metrics on 127.0.0.1:<port>/metrics (env STRATUS_METRICS_PORT)',
      process.env.STRATUS_METRICS_PORT,
    )
    .option(
      '--prometheus-url <url>',
      'the local Prometheus that GET /cluster-status asks, e.g. https://10.0.0.31:8009/monitoring; its user and password come from STRATUS_PROMETHEUS_USER and STRATUS_PROMETHEUS_PASSWORD (env STRATUS_PROMETHEUS_URL)',
      process.env.STRATUS_PROMETHEUS_URL,
    )
    .option(
      '--prometheus-targets-dir <dir>',
      "keep the local Prometheus's other_managers/other_rabbits/other_postgres target files there in step with the cluster registry (env STRATUS_PROMETHEUS_TARGETS_DIR)",
      process.env.STRATUS_PROMETHEUS_TARGETS_DIR,
    )
    .option(
      '--prometheus-ca <file>',
      "CA that verifies Prometheus's certificate (env STRATUS_PROMETHEUS_CA)",
      process.env.STRATUS_PROMETHEUS_CA,
    );
  registerTlsOptions(registerServerOptions(cmd)).action(async (o: Flags, command: Command) => {
    // Loaded only to run: `cfy_manager --help` and the other commands do not pay for the server.
    const { serveOptions } = await import('./serve-config.js');
    const options = serveOptions(o, command);
    const { serve } = await import('./serve.js');
    await serve(options);
  });
}
