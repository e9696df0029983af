// The deployment update behind the `update` workflow (5.1.2 deployment update manager's commit and
// finalize_commit): before the graph is built, the worker stores the added nodes and instances and
// the modified nodes' new definitions (one transaction); the graph's last task
// `deployment_update.finalize` removes the removed ones and gives the deployment its new blueprint,
// inputs and plan sections (one transaction). When the workflow fails or is cancelled, the update is
// undone (one transaction): the deployment keeps its plan, nodes and inputs.
import type { Db } from '../store/port.js';
import {
  commitUpdate,
  finalizeUpdate,
  rollbackUpdate,
  updateCommitted,
} from '../store/repositories/deployment-update-apply.js';
import { loadStoredUpdate, type StoredUpdate } from '../store/repositories/deployment-updates.js';
import type { ExecutionRow } from '../store/repositories/executions.js';

async function storedUpdate(db: Db, exec: ExecutionRow): Promise<StoredUpdate> {
  const id = exec.parameters?.update_id;
  const u = typeof id === 'string' ? await loadStoredUpdate(db, exec._tenant_id, id) : undefined;
  if (!u) throw new Error(`Deployment update ${String(id)} of execution ${exec.id} does not exist`);
  return u;
}

/** Stores the update's new nodes and instances, once (a redelivery finds them there). */
export async function startDeploymentUpdate(db: Db, exec: ExecutionRow): Promise<void> {
  const u = await storedUpdate(db, exec);
  if (u.state !== 'executing_workflow' && u.state !== 'updating') {
    throw new Error(`Deployment update ${u.id} is ${u.state}, not ready to run`);
  }
  if (await updateCommitted(db, u)) return;
  const owner = { tenantId: exec._tenant_id, creatorId: exec._creator_id, visibility: 'tenant' };
  await commitUpdate(db, owner, u);
}

/** `deployment_update.finalize`: the deployment takes the new plan. */
export async function finalizeDeploymentUpdate(db: Db, exec: ExecutionRow): Promise<void> {
  const u = await storedUpdate(db, exec);
  if (u.state === 'successful') return;
  if (u.state === 'failed') {
    throw new Error(`Deployment update ${u.id} failed and was undone: start a new deployment update`);
  }
  await finalizeUpdate(db, u, u.deployment_plan ?? {});
}

/** The update workflow did not succeed: undo what startDeploymentUpdate stored. */
export async function rollbackDeploymentUpdate(db: Db, exec: ExecutionRow): Promise<void> {
  const u = await storedUpdate(db, exec);
  if (u.state === 'successful' || u.state === 'failed') return;
  await rollbackUpdate(db, u);
}
