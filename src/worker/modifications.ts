// What the scale and update workflows change outside the graph: before the graph is built (the
// deployment modification of scale, the committed nodes and instances of a deployment update),
// their closing local tasks, and their undo when the execution does not succeed.
import type { Logger } from 'pino';
import type { ScaleModification, WorkflowInput } from '../engine/index.js';
import type { Db } from '../store/port.js';
import type { DeploymentInfo } from '../store/repositories/deployments.js';
import type { ExecutionRow } from '../store/repositories/executions.js';
import { loadNodes, type NodeRow } from '../store/repositories/nodes.js';
import { type InstanceRow, loadInstances, toPlanInstance } from '../store/repositories/node-instances.js';
import { finishScaleModification, rollbackScaleOut, startScaleModification } from './scale.js';
import { finalizeDeploymentUpdate, rollbackDeploymentUpdate, startDeploymentUpdate } from './update.js';

/** Before the graph: `nodes` and `input.plan` are refreshed with what the modification stored. */
export async function beforeGraph(
  db: Db,
  exec: ExecutionRow,
  dep: DeploymentInfo,
  nodes: NodeRow[],
  instances: InstanceRow[],
  input: WorkflowInput,
): Promise<ScaleModification | undefined> {
  let modification: ScaleModification | undefined;
  if (exec.workflow_id === 'scale') {
    modification = await startScaleModification(db, exec, dep, nodes, instances, input);
    input.modification = modification;
  } else if (exec.workflow_id === 'update') {
    await startDeploymentUpdate(db, exec);
    nodes.splice(0, nodes.length, ...(await loadNodes(db, dep._storage_id)));
  } else return undefined;
  input.plan.node_instances = (await loadInstances(db, dep._storage_id)).map(toPlanInstance);
  return modification;
}

/** The local tasks of scale and update; undefined when `task` is not one of them. */
export async function modificationTask(
  db: Db,
  exec: ExecutionRow,
  deploymentFk: number,
  task: string,
  touched: () => string[],
): Promise<null | undefined> {
  switch (task) {
    case 'deployment_modification.finish':
      await finishScaleModification(db, deploymentFk, [...new Set(touched())]);
      return null;
    case 'deployment_update.finalize':
      await finalizeDeploymentUpdate(db, exec);
      return null;
  }
  return undefined;
}

/** A scale or update that ended other than terminated: undo its modification (failures only logged). */
export async function undoModification(
  db: Db,
  exec: ExecutionRow,
  deploymentFk: number,
  modification: ScaleModification | undefined,
  log?: Logger,
): Promise<void> {
  if (exec.workflow_id === 'scale' && modification?.added.length) {
    if (exec.parameters?.rollback_if_failed === false) return;
    const added = modification.added.map((i) => i.id);
    await rollbackScaleOut(db, deploymentFk, added).catch((err) =>
      log?.warn({ err: (err as Error).message }, 'scale rollback failed'),
    );
  } else if (exec.workflow_id === 'update') {
    await rollbackDeploymentUpdate(db, exec).catch((err) =>
      log?.warn({ err: (err as Error).message }, 'deployment update rollback failed'),
    );
  }
}

/** A workflow's local task (no plugin): a modification's closing task, or a built-in no-op. */
export async function localTask(
  db: Db,
  exec: ExecutionRow,
  deploymentFk: number,
  task: string,
  touched: () => string[],
): Promise<unknown> {
  const done = await modificationTask(db, exec, deploymentFk, task, touched);
  if (done !== undefined) return done;
  switch (task) {
    case 'deployment_environment.install_plugins':
    case 'deployment_environment.uninstall_plugins':
    case 'deployment_environment.create_workdir':
    case 'deployment_environment.delete_workdir':
    case 'deployment_environment.delete_logs':
      return null; // built-in plugins only; nothing to install or clean
  }
  throw new Error(`Unknown local task ${task}`);
}
