// The all-in-one process: REST API, file server and (on the embedded default) the worker, in the
// foreground, JSON logs, clean shutdown on SIGTERM within 10 s.
import pino from 'pino';
import type { ManagerConfig } from '../manager/config.js';
import { createManager } from './manager.js';

export function finishMessage(config: ManagerConfig, password: string | undefined): string {
  const bar = '#'.repeat(50);
  const url = `http://${config.host === '0.0.0.0' ? config.publicIp : config.host}:${config.port}`;
  const pw = password ?? '(unchanged: it was printed on the first start)';
  return [
    bar,
    `Manager is up at ${url}`,
    `Admin password: ${pw}`,
    bar,
    'To connect to the manager, use:',
    `cfy profiles use ${new URL(url).hostname} -u admin -p ${password ?? '<password>'} -t default_tenant --rest-port ${config.port}`,
    bar,
  ].join('\n');
}

export async function serve(config: ManagerConfig): Promise<void> {
  const logger = pino({ name: 'stratus-manager', redact: ['req.headers.authorization', '*.password'] });
  const manager = await createManager(config, { logger });
  await manager.app.listen({ host: config.host, port: config.port });
  process.stdout.write(`${finishMessage(config, manager.bootstrap.adminPassword)}\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await manager.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
