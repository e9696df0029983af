// Assemble a manager from its config: open and migrate the store, seed it, build the REST app, and
// wire the ports: the bus dispatcher (in-process queue, or RabbitMQ with --amqp), the blueprint
// parser (the DSL over the extracted files), the outputs evaluator, and — on the all-in-one setup
// without --amqp — the worker in this process. The process concerns live in server.ts.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createInProcessBus } from '../bus/in-process.js';
import { type Bus, WORKFLOW_QUEUE } from '../bus/port.js';
import { createRabbitBus } from '../bus/rabbitmq.js';
import { parseBlueprint } from '../dsl/index.js';
import { openStore } from '../store/open.js';
import type { Db } from '../store/port.js';
import { requeueOrphans } from '../worker/orphans.js';
import { evaluateDeploymentSection, type SecretsCipher } from '../worker/runtime-context.js';
import { startWorker, type Worker, type WorkerOptions } from '../worker/worker.js';
import { buildApp } from './app.js';
import { startHeartbeat } from './cluster/heartbeat.js';
import { Authenticator } from './auth/authenticate.js';
import { type BootstrapResult, bootstrap } from './bootstrap.js';
import type { ManagerConfig } from './config.js';
import type { BlueprintParser, ExecutionDispatcher, ManagerContext } from './context.js';
import { issueExecutionToken, updateExecutionStatus } from './executions/service.js';
import { setDeploymentValuesEvaluator } from './routes/deployments.js';
import { createCipher, loadOrCreateKeyFile, parseKey } from './secrets-crypto.js';

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
  db?: Db;
  extend?: (ctx: ManagerContext) => void;
  /** Use this bus instead of opening one from the config. */
  bus?: Bus;
  /** Run the worker in this process. @default true without config.amqpUrl, false with it */
  worker?: boolean;
  /** Worker settings (tests: short cancel polls, low retry defaults). */
  workerOptions?: Partial<
    Pick<WorkerOptions, 'retry' | 'maxInFlight' | 'cancelPollMs' | 'concurrency' | 'plugins'>
  >;
}

// The outputs route takes one module-wide evaluator; each manager's database selects its cipher.
const ciphers = new WeakMap<Db, SecretsCipher>();
setDeploymentValuesEvaluator((db, storageId, kind) =>
  evaluateDeploymentSection(db, storageId, kind, ciphers.get(db)),
);

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
  const key = config.secretsKey
    ? parseKey(config.secretsKey)
    : loadOrCreateKeyFile(join(config.dataDir, 'secrets.key'));
  const log = opts.logger || undefined;
  const bus =
    opts.bus ??
    (config.amqpUrl
      ? await createRabbitBus({
          url: config.amqpUrl,
          ca: process.env.STRATUS_AMQP_CA,
          onError: (err) => log?.warn({ err: (err as Error).message }, 'RabbitMQ'),
          onState: (msg) => log?.info(msg),
        })
      : createInProcessBus((err) => log?.error({ err: (err as Error).message }, 'worker handler failed')));
  const secrets = createCipher(key);
  ciphers.set(db, secrets);
  const resourcesDir = join(config.dataDir, 'resources');
  const ctx: ManagerContext = {
    db,
    config,
    authenticator: new Authenticator(db, config),
    resourcesDir,
    secrets,
    serviceProbes: [],
    dispatcher: busDispatcher(db, bus, config),
    parseBlueprint: fileSystemParser,
    evaluateOutputs: (storageId, which) => evaluateDeploymentSection(db, storageId, which, secrets),
  };
  opts.extend?.(ctx);
  const app = await buildApp(ctx, opts.logger ?? false);
  let worker: Worker | undefined;
  if (opts.worker ?? !config.amqpUrl) {
    worker = await startWorker({
      db,
      bus,
      resourcesDir,
      secrets,
      log,
      status: statusPort(ctx),
      ...opts.workerOptions,
    });
    ctx.serviceProbes?.push(async () => ({
      'Management Worker': { status: 'Active', is_remote: false, extra_info: { in_process: true } },
    }));
    // The in-process bus died with the previous process: re-send what it was running.
    if (!opts.bus && !config.amqpUrl) {
      const sentence = await requeueOrphans(db, (id) => bus.publish(WORKFLOW_QUEUE, { id }));
      log?.info(sentence);
    }
  }
  // Keeps managers.last_seen fresh, so /cluster-status on the other managers sees this one alive.
  const stopHeartbeat = startHeartbeat(db, config.hostname, 15_000, (err) =>
    log?.warn({ err: (err as Error).message }, 'heartbeat'),
  );
  return {
    app,
    ctx,
    db,
    bootstrap: boot,
    worker,
    bus,
    async close() {
      stopHeartbeat();
      await worker?.stop();
      await app.close();
      if (!opts.bus) await bus.close();
      if (!opts.db) await db.close();
    },
  };
}

/** The worker's status reports go through the REST layer's status machine (validation, dequeue). */
export function statusPort(
  ctx: Pick<ManagerContext, 'db' | 'config' | 'dispatcher'>,
): WorkerOptions['status'] {
  return {
    async setStatus(id, status, error) {
      await updateExecutionStatus(ctx, id, status, error ?? null);
    },
  };
}

/** Publishes Cloudify's workflow message (rest-api.md §6.3) for an execution about to run. */
export function busDispatcher(db: Db, bus: Bus, config: ManagerConfig): ExecutionDispatcher {
  return {
    async dispatch(executionId) {
      const [ex] = await db.query<Record<string, any>>(
        `SELECT e.id, e.workflow_id, e.parameters, e.is_dry_run, e.is_system_workflow, e.resume, e._creator_id,
           u.username, t.name AS tenant, d.id AS deployment_id, d.display_name, e.blueprint_id,
           d.runtime_only_evaluation
         FROM executions e JOIN users u ON u.id = e._creator_id JOIN tenants t ON t.id = e._tenant_id
         LEFT JOIN deployments d ON d._storage_id = e._deployment_fk WHERE e.id = $1`,
        [executionId],
      );
      if (!ex) return;
      const token = await issueExecutionToken(db, executionId);
      const context: Record<string, unknown> = {
        type: 'workflow',
        task_id: ex.id,
        execution_id: ex.id,
        task_name: ex.is_system_workflow
          ? `cloudify_system_workflows.deployment_environment.${ex.workflow_id === 'create_deployment_environment' ? 'create' : 'delete'}`
          : `cloudify.plugins.workflows.${ex.workflow_id}`,
        workflow_id: ex.workflow_id,
        dry_run: ex.is_dry_run,
        is_system_workflow: ex.is_system_workflow,
        execution_creator_username: ex.username,
        task_target: 'cloudify.management',
        tenant: { name: ex.tenant },
        resume: ex.resume,
        wait_after_fail: 600,
        bypass_maintenance: false,
        execution_token: token,
        rest_token: token,
        rest_host: [config.privateIp],
        rest_port: config.port,
      };
      if (ex.deployment_id) {
        Object.assign(context, {
          deployment_id: ex.deployment_id,
          deployment_display_name: ex.display_name ?? ex.deployment_id,
          blueprint_id: ex.blueprint_id,
          runtime_only_evaluation: ex.runtime_only_evaluation ?? false,
        });
      }
      await bus.publish(WORKFLOW_QUEUE, {
        id: ex.id,
        execution_creator: ex._creator_id,
        cloudify_task: { kwargs: { ...(ex.parameters ?? {}), __cloudify_context: context } },
      });
    },
  };
}

/** The DSL over an extracted blueprint folder: imports are files inside it (no network). */
export const fileSystemParser: BlueprintParser = async (blueprintDir, mainFile) => {
  const root = resolve(blueprintDir);
  const plan = parseBlueprint({
    mainFile,
    resolver: {
      read(location) {
        if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location) && !location.startsWith('file:')) return undefined;
        const rel = location.startsWith('file://') ? location.slice('file://'.length) : location;
        const full = resolve(root, rel);
        if (full !== root && !full.startsWith(root + sep)) return undefined;
        return existsSync(full) && statSync(full).isFile() ? readFileSync(full, 'utf8') : undefined;
      },
    },
    resourcesBasePath: root,
  });
  return plan as Record<string, unknown>;
};
