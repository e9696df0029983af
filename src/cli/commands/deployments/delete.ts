// `cfy deployments delete ID`: the manager starts delete_deployment_environment and answers 204; the
// row goes when that execution ends, so wait for it (up to 18 s, as Cloudify does).
import { CloudifyClientError } from '../../client/errors.js';
import type { CloudifyClient } from '../../client/index.js';
import type { Ctx } from '../../context.js';

export const DELETE_WAIT_MS = 18_000;

export async function deleteDeployment(
  c: Ctx,
  client: CloudifyClient,
  id: string,
  o: { force?: boolean; withLogs?: boolean },
): Promise<void> {
  c.out.info(`Trying to delete deployment ${id}...`);
  await client.deployments.delete(id, o);
  const deadline = Date.now() + DELETE_WAIT_MS;
  while (Date.now() < deadline) {
    try {
      await client.deployments.get(id);
    } catch (e) {
      if (e instanceof CloudifyClientError && e.status === 404) {
        c.out.info(`Deployment deleted`);
        return;
      }
      throw e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  c.out.warn(`The deployment ${id} is still being deleted; check with \`cfy deployments list\``);
}

export async function run(
  c: Ctx,
  o: { force?: boolean; withLogs?: boolean; tenantName?: string },
  id: string,
): Promise<void> {
  await deleteDeployment(c, c.client({ tenant: o.tenantName }), id, o);
}
