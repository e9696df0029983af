// Assembles a manager from its settings: open and migrate the store, seed it, then wire the ports: the
// bus (in-process queue, or RabbitMQ with amqpUrl), the execution lifecycle and its dispatcher, the
// blueprint parser (the DSL over the extracted folder), the outputs evaluator, the REST app, and — on
// the all-in-one setup without RabbitMQ — the worker in this process. serve.ts runs it as a process.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createInProcessBus } from '../bus/in-process.js';
import type { Bus } from '../bus/port.js';
import { createRabbitBus } from '../bus/rabbitmq.js';
import { parseAmqpUrl } from '../bus/rabbitmq-url.js';
import { parseBlueprintDir } from '../dsl-fs/resolver.js';
import { busDispatcher } from '../executions/dispatch.js';
import { type ExecutionDispatcher, Lifecycle } from '../executions/lifecycle.js';
import { requeueOrphans } from '../executions/orphans.js';
import { buildApp } from '../manager/app.js';
import { httpMetrics } from '../manager/metrics.js';
import { Authenticator } from '../manager/auth/authenticate.js';
import { type BootstrapResult, bootstrap } from '../manager/bootstrap.js';
import { startHeartbeat } from '../manager/cluster/heartbeat.js';
import { startTargetsSync } from '../manager/cluster/monitoring-targets.js';
import type { ManagerConfig } from '../manager/config.js';
import type { ManagerContext } from '../manager/context.js';
import { openStore } from '../store/open.js';
import { registeredBrokers } from '../store/repositories/brokers.js';
import { pluginCandidates } from '../store/repositories/plugins.js';
import { registerOwnServices } from '../store/repositories/cluster-setup.js';
import { parseDbUrl } from '../store/server.js';
import type { Db } from '../store/port.js';
import { createCipher, loadOrCreateKeyFile, parseKey, type SecretsCipher } from '../store/secrets-crypto.js';
import { workerMetrics } from '../worker/metrics.js';
import { evaluateDeploymentSection } from '../worker/runtime-context.js';
import { startWorker, type Worker } from '../worker/worker.js';

export interface Manager {
  app: FastifyInstance;
  ctx: ManagerContext;
  db: Db;
  bootstrap: BootstrapResult;
  /** The in-process worker, when this manager runs one. */
  worker?: Worker;
  bus: Bus;
  close(): Promise<void>;
}

export interface CreateManagerOptions {
  logger?: Logger | false;
  /** Use this database instead of opening one from the settings (tests: both drivers). */
  db?: Db;
  /**
   * Hand executions to this dispatcher instead of the bus; `null`: to none, so they stay pending
   * (tests that play the worker's part themselves). Either way no worker runs in this process.
   */
  dispatcher?: ExecutionDispatcher | null;
  /** Register this manager's metrics here: its REST requests, and its in-process worker's. */
  metrics?: Registry;
}

/** The secrets key: from the settings (shared by a cluster's managers), or the data dir's key file. */
export function secretsCipher(
  config: Pick<ManagerConfig, 'secretsKey' | 'secretsKeyFile' | 'dataDir'>,
): SecretsCipher {
  const key = config.secretsKey
    ? parseKey(config.secretsKey)
    : loadOrCreateKeyFile(config.secretsKeyFile ?? join(config.dataDir, 'secrets.key'));
  return createCipher(key);
}

/** The in-process bus without `url`; else RabbitMQ, following the brokers table of `registry` if given. */
export async function openBus(
  url: string | undefined,
  ca: string | undefined,
  log?: Logger,
  registry?: Db,
): Promise<Bus> {
  if (!url)
    return createInProcessBus((err) => log?.error({ err: (err as Error).message }, 'worker handler failed'));
  return createRabbitBus({
    url,
    ca,
    ...(registry ? { registry: () => registeredBrokers(registry) } : {}),
    onError: (err) => log?.warn({ err: (err as Error).message }, 'RabbitMQ'),
    onState: (msg) => log?.info(msg),
  });
}

export async function createManager(
  config: ManagerConfig,
  opts: CreateManagerOptions = {},
): Promise<Manager> {
  const db =
    opts.db ??
    (await openStore({
      dbUrl: config.dbUrl,
      dataDir: config.dbUrl ? undefined : join(config.dataDir, 'db'),
    }));
  const boot = await bootstrap(db, config);
  await registerOwnServices(db, ownServices(config));
  const log = opts.logger || undefined;
  const secrets = secretsCipher(config);
  const bus = await openBus(config.amqpUrl, config.amqpCa, log, config.amqpFollowRegistry ? db : undefined);
  const executions = new Lifecycle({
    db,
    settings: config,
    dispatcher:
      opts.dispatcher === undefined
        ? busDispatcher(db, bus, { restHost: config.privateIp, restPort: config.port })
        : (opts.dispatcher ?? undefined),
  });
  const resourcesDir = join(config.dataDir, 'resources');
  const ctx: ManagerContext = {
    db,
    config,
    authenticator: new Authenticator(db, config),
    resourcesDir,
    secrets,
    serviceProbes: [],
    executions,
    parseBlueprint: async (dir, mainFile, scope) =>
      parseBlueprintDir(dir, mainFile, {
        resourcesBasePath: '.',
        plugins: scope ? await pluginCandidates(db, scope) : [],
      }),
    evaluateOutputs: (storageId, which) => evaluateDeploymentSection(db, storageId, which, secrets),
  };
  const app = await buildApp(ctx, opts.logger ?? false, {
    ...(opts.metrics ? { httpMetrics: httpMetrics(opts.metrics) } : {}),
  });
  let worker: Worker | undefined;
  if (!config.amqpUrl && opts.dispatcher === undefined) {
    const metrics = opts.metrics
      ? workerMetrics(opts.metrics, db, (err) => log?.warn({ err: (err as Error).message }, 'metrics'))
      : undefined;
    worker = await startWorker({ db, bus, lifecycle: executions, resourcesDir, secrets, log, metrics });
    ctx.serviceProbes?.push(async () => ({
      'Management Worker': { status: 'Active', is_remote: false, extra_info: { in_process: true } },
    }));
    // The in-process bus died with the previous process: hand what it was running over again.
    // (not inside `log?.info(…)`: without a logger that would skip the requeue itself)
    const requeued = await requeueOrphans(db, executions.dispatch);
    log?.info(requeued);
  }
  // Keeps managers.last_seen fresh, so /cluster-status on the other managers sees this one alive.
  const stopHeartbeat = startHeartbeat(db, config.hostname, 15_000, (err) =>
    log?.warn({ err: (err as Error).message }, 'heartbeat'),
  );
  const stopTargets = config.prometheusTargetsDir
    ? startTargetsSync(db, {
        dir: config.prometheusTargetsDir,
        ownIp: config.privateIp,
        onError: (err) => log?.warn({ err: (err as Error).message }, 'monitoring targets'),
      })
    : () => {};
  return {
    app,
    ctx,
    db,
    bootstrap: boot,
    worker,
    bus,
    async close() {
      stopHeartbeat();
      stopTargets();
      await worker?.stop();
      await app.close();
      await bus.close();
      if (!opts.db) await db.close();
    },
  };
}

/** The broker and database this manager uses, for a registry that has none (the all-in-one). */
function ownServices(config: ManagerConfig) {
  let dbHost = config.privateIp;
  let brokerHost = config.privateIp;
  let brokerPort = 5671;
  try {
    if (config.dbUrl) dbHost = parseDbUrl(config.dbUrl).hosts[0]?.host ?? dbHost;
    const first = config.amqpUrl && parseAmqpUrl(config.amqpUrl, 0).members[0];
    if (first) ({ host: brokerHost, port: brokerPort } = first);
  } catch {
    // The store and the bus opened with these URLs; an odd form keeps this manager's address.
  }
  return { name: config.hostname, brokerHost, brokerPort, dbHost };
}
