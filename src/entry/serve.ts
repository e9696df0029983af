// The all-in-one process: REST API, file server and (on the embedded default) the worker, in the
// foreground, JSON logs, clean shutdown on SIGTERM within 10 s. With certificates it serves through
// the TLS front (front.ts); with several REST worker processes, serve-cluster.ts forks this same
// command and each worker runs `runManager`.
import cluster from 'node:cluster';
import pino from 'pino';
import type { ManagerConfig } from '../manager/config.js';
import { describeError } from './boundary.js';
import { externalSni, type Front, type FrontOptions, startFront } from './front.js';
import { createManager } from './manager.js';
import {
  clusterExposition,
  clusterWorkerRegistry,
  type MetricsListener,
  processRegistry,
  registryExposition,
  startMetricsListener,
} from './metrics.js';
import { runPrimary, type WorkerMessage } from './serve-cluster.js';

export interface ServeOptions {
  config: ManagerConfig;
  /** The TLS front; unset: plain HTTP on config.port, as without certificates. */
  front?: Omit<FrontOptions, 'host'>;
  /** REST worker processes; more than one only on the server setup (PostgreSQL and RabbitMQ). */
  workers: number;
}

export function finishMessage(opts: ServeOptions, password: string | undefined): string {
  const { config, front } = opts;
  const bar = '#'.repeat(50);
  const host = front?.publicName ?? (config.host === '0.0.0.0' ? config.publicIp : config.host);
  const port = front ? front.httpsPort : config.port;
  const url = `${front ? 'https' : 'http'}://${host}:${port}`;
  // Only a generated password is printed; one the operator gave is theirs already (and stays out of logs).
  const pw =
    password ??
    (config.adminPassword
      ? '(the one given in STRATUS_ADMIN_PASSWORD or --admin-password)'
      : '(unchanged: it was printed on the first start)');
  const tls = front ? ` --ssl${front.certs.caPath ? ` -c ${front.certs.caPath}` : ''}` : '';
  return [
    bar,
    `Manager is up at ${url}`,
    `Admin password: ${pw}`,
    bar,
    'To connect to the manager, use:',
    `cfy profiles use ${new URL(url).hostname} -u admin -p ${password ?? '<password>'} -t default_tenant --rest-port ${port}${tls}`,
    bar,
  ].join('\n');
}

export async function serve(opts: ServeOptions): Promise<void> {
  if (opts.workers > 1 && cluster.isPrimary) {
    // The primary answers for every REST process; it listens first, so a taken port fails at once.
    const port = opts.config.metricsPort;
    const metrics = port ? await startMetricsListener(port, clusterExposition()) : undefined;
    let password: string | undefined;
    try {
      password = await runPrimary(opts.workers);
    } catch (err) {
      await metrics?.close();
      throw err;
    }
    process.stdout.write(`${finishMessage(opts, password)}\n`);
    return;
  }
  if (!cluster.isWorker) {
    const password = await runManager(opts);
    process.stdout.write(`${finishMessage(opts, password)}\n`);
    return;
  }
  // A cluster worker: the primary prints the one line of a failed start, and the finish message.
  const send = (m: WorkerMessage) => process.send?.(m);
  try {
    send({ type: 'ready', password: await runManager(opts) });
  } catch (err) {
    send({ type: 'failed', message: describeError(err) });
    process.exit(1);
  }
}

/** One REST process: the manager, its listeners, and its shutdown. Resolves with the admin password it generated. */
export async function runManager(opts: ServeOptions): Promise<string | undefined> {
  const { config } = opts;
  const logger = pino({ name: 'stratus-manager', redact: ['req.headers.authorization', '*.password'] });
  // A REST process of node:cluster hands its metrics to the primary, which serves them.
  const registry = config.metricsPort
    ? cluster.isWorker
      ? clusterWorkerRegistry()
      : processRegistry()
    : undefined;
  const manager = await createManager(config, { logger, ...(registry ? { metrics: registry } : {}) });
  let front: Front | undefined;
  let metrics: MetricsListener | undefined;
  try {
    if (registry && config.metricsPort && !cluster.isWorker) {
      const onError = (err: unknown) => logger.warn({ err: (err as Error).message }, 'metrics scrape');
      metrics = await startMetricsListener(config.metricsPort, registryExposition(registry), onError);
    }
    if (opts.front) {
      const note = externalSni(opts.front).note;
      if (note) logger.warn(note);
      await manager.app.ready();
      front = await startFront(manager.app.routing, { ...opts.front, host: config.host });
    } else {
      await manager.app.listen({ host: config.host, port: config.port });
    }
  } catch (err) {
    await metrics?.close();
    await manager.close().catch(() => {});
    throw err;
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await front?.close();
    await metrics?.close();
    await manager.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary is gone has no one to report to: it stops too.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary exited'));
  return manager.bootstrap.generated ? manager.bootstrap.adminPassword : undefined;
}
