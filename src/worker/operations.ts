// Running one RemoteWorkflowTask: read the instance(s) it runs on, evaluate its inputs (intrinsic
// functions), find the plugin operation, run it with an OperationContext, and write changed runtime
// properties back through the node-instance version check — also when it failed or asked for a retry,
// as Cloudify's dispatcher does.
import { join } from 'node:path';
import { evaluateRuntimeFunctions, FUNCTION_NAMES } from '../dsl/index.js';
import { NonRecoverableError, type OperationSpec } from '../engine/index.js';
import { blueprintFilesCache } from '../store/files/cache.js';
import type { Db } from '../store/port.js';
import { filesOfDeployment } from '../store/repositories/blueprint-files.js';
import type { EntityView, LogLevel, OperationContext, Plugin } from './plugins/types.js';
import { loadRuntimeContext, type SecretsCipher } from './runtime-context.js';
import type { DeploymentInfo } from '../store/repositories/deployments.js';
import type { ExecutionRow } from '../store/repositories/executions.js';
import type { NodeRow } from '../store/repositories/nodes.js';
import { updateNodeInstance } from '../store/repositories/node-instances.js';
import { loadOperationInstance } from '../store/repositories/node-instances.js';
import type { ExecutionWriter } from './writer.js';

export interface OperationEnv {
  db: Db;
  exec: ExecutionRow;
  dep: DeploymentInfo;
  nodes: Map<string, NodeRow>;
  resourcesDir: string;
  plugins: Map<string, Plugin>;
  secrets?: SecretsCipher;
  writer: ExecutionWriter;
}

const FUNCS: ReadonlySet<string> = FUNCTION_NAMES;

function hasFunctions(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasFunctions);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && FUNCS.has(keys[0])) return true;
    return Object.values(v).some(hasFunctions);
  }
  return false;
}

/** Where a blueprint uploaded before its files were stored in the database (migration 0003) is kept. */
export function blueprintDir(resourcesDir: string, tenant: string, blueprintId: string): string {
  return join(resourcesDir, 'blueprints', tenant, blueprintId);
}

const folders = new WeakMap<OperationEnv, Promise<string>>();

/**
 * The deployment's blueprint folder on this machine (scripts, resources): the local copy of the files
 * stored with the blueprint, written out on first use; looked up once per execution run.
 */
export function blueprintFolder(env: OperationEnv): Promise<string> {
  let p = folders.get(env);
  if (!p) {
    p = (async () => {
      const f = await filesOfDeployment(env.db, env.dep._storage_id);
      if (!f?.filesSha256) return blueprintDir(env.resourcesDir, env.dep.tenant_name, env.dep.blueprint_id);
      const key = { storageId: f.storageId, sha256: f.filesSha256 };
      return blueprintFilesCache(env.db, env.resourcesDir).folder(key);
    })();
    // A failed lookup (the database was unreachable) is tried again by the next operation.
    p.catch(() => folders.delete(env));
    folders.set(env, p);
  }
  return p;
}

/** Finds `implementation` in the plugin named by the task (or by the implementation's first segment). */
export function findOperation(plugins: Map<string, Plugin>, plugin: string | null | undefined, impl: string) {
  const candidates: [string | undefined, string][] = [[plugin ?? undefined, impl]];
  const dot = impl.indexOf('.');
  if (dot > 0) candidates.push([impl.slice(0, dot), impl.slice(dot + 1)]);
  for (const [p, name] of candidates) {
    const plugin = p ? plugins.get(p) : undefined;
    const fn = plugin?.operations[name];
    if (plugin && fn) return { plugin, fn };
  }
  if (plugin && !plugins.has(plugin)) {
    // An uploaded (Python) plugin: its wagon is stored and its YAML imported, but Stratus does not run it.
    throw new NonRecoverableError(
      `Operation ${impl} of plugin ${plugin} cannot run: ${plugin} is a Python plugin, and Stratus runs only its built-in plugins (${[...plugins.keys()].join(', ')})`,
    );
  }
  throw new NonRecoverableError(`Operation ${impl} does not exist in plugin ${plugin ?? '(none)'}`);
}

type TaskKwargs = OperationSpec['parameters']['task_kwargs'];

/** The node and instance `instanceId` as the operation sees them (ctx node / ctx instance). */
async function entityOf(env: OperationEnv, instanceId: string): Promise<EntityView> {
  const row = await loadOperationInstance(env.db, instanceId, env.exec._tenant_id, env.dep._storage_id);
  if (!row) throw new NonRecoverableError(`Node instance ${instanceId} no longer exists`);
  const node = env.nodes.get(row.node_id);
  return {
    node: {
      id: row.node_id,
      name: row.node_id,
      type: node?.type ?? '',
      type_hierarchy: node?.type_hierarchy ?? [],
      properties: node?.properties ?? {},
    },
    instance: { ...row, dirty: false },
  };
}

/** The operation's inputs with their intrinsic functions evaluated against the current instances. */
async function evaluateInputs(env: OperationEnv, k: TaskKwargs): Promise<Record<string, unknown>> {
  const inputs = k.inputs ?? {};
  if (!k.has_intrinsic_functions && !hasFunctions(inputs)) return inputs;
  const rel = k.relationship;
  try {
    const rc = await loadRuntimeContext(env.db, env.dep._storage_id, env.secrets, inputs);
    return evaluateRuntimeFunctions(
      inputs,
      rc,
      rel ? { source: rel.source_id, target: rel.target_id } : { self: k.node_instance_id },
    );
  } catch (err) {
    throw new NonRecoverableError(`Evaluating the inputs of ${k.operation}: ${(err as Error).message}`);
  }
}

/**
 * Writes back the runtime properties of `views` that changed since the last write. Only the keys
 * this op changed are written, rebased on the current row under the version check (compare-and-set on
 * `version`, retried), so two ops that touch one instance at once (source-side ops of parallel
 * relationships) do not undo each other's writes.
 */
function runtimePropertiesWriter(env: OperationEnv, views: EntityView[]): () => Promise<void> {
  const initial = new Map(views.map((v) => [v.instance.id, structuredClone(v.instance.runtime_properties)]));
  return async () => {
    for (const v of views) {
      if (!v.instance.dirty) continue;
      const before = initial.get(v.instance.id) ?? {};
      const now = v.instance.runtime_properties;
      const changed = Object.keys(now).filter(
        (key) => JSON.stringify(now[key]) !== JSON.stringify(before[key]),
      );
      const removed = Object.keys(before).filter((key) => !(key in now));
      const updated = await updateNodeInstance(env.db, v.instance.id, env.exec._tenant_id, (cur) => {
        const next = { ...cur.runtime_properties };
        for (const key of changed) next[key] = now[key];
        for (const key of removed) delete next[key];
        return { runtime_properties: next };
      });
      v.instance.version = updated.version;
      v.instance.dirty = false;
      initial.set(v.instance.id, structuredClone(now));
    }
  };
}

export async function runRemoteOperation(
  env: OperationEnv,
  op: OperationSpec,
  retries: number,
  signal: AbortSignal,
): Promise<unknown> {
  const k = op.parameters.task_kwargs;
  const rel = k.relationship;
  const impl = k.implementation ?? '';
  const { fn, plugin } = findOperation(env.plugins, k.plugin, impl);
  const views = !plugin.withoutInstances;
  const self = views && !rel && k.node_instance_id ? await entityOf(env, k.node_instance_id) : undefined;
  const source = views && rel ? await entityOf(env, rel.source_id) : undefined;
  const target = views && rel ? await entityOf(env, rel.target_id) : undefined;
  const inputs = await evaluateInputs(env, k);
  const logCtx = {
    operation: k.operation,
    nodeInstanceId: rel ? (rel.side === 'source' ? rel.source_id : rel.target_id) : k.node_instance_id,
    sourceId: rel?.source_id,
    targetId: rel?.target_id,
  };
  const persist = runtimePropertiesWriter(
    env,
    [self, source, target].filter((v): v is EntityView => !!v),
  );
  const ctx: OperationContext = {
    tenantName: env.dep.tenant_name,
    executionId: env.exec.id,
    workflowId: env.exec.workflow_id,
    deploymentId: env.dep.id,
    blueprintId: env.dep.blueprint_id,
    blueprintDir: await blueprintFolder(env),
    operation: {
      id: op.id,
      name: k.operation ?? op.name,
      retryNumber: retries,
      maxRetries: op.parameters.total_retries,
    },
    plugin: k.plugin ?? null,
    implementation: impl,
    inputs,
    self,
    source,
    target,
    relationship: rel,
    timeoutMs: k.timeout ? k.timeout * 1000 : undefined,
    timeoutRecoverable: k.timeout_recoverable === true,
    signal,
    log: (level: LogLevel, message: string) =>
      env.writer.log({ level, message, logger: `ctx.${op.id}`, ...logCtx }),
    updateInstances: persist,
  };
  // Runtime properties read at the start are written back at the end, under the version read.
  if (rel) ctx.self = rel.side === 'source' ? source : target;
  try {
    return await fn(ctx);
  } finally {
    await persist();
  }
}
