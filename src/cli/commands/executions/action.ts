// `cfy executions cancel|resume ID`: send the action; the user tracks it with `executions get`.
import type { Ctx } from '../../context.js';

export async function cancel(
  c: Ctx,
  o: { force?: boolean; kill?: boolean; tenantName?: string },
  id: string,
) {
  const action = o.kill ? 'kill' : o.force ? 'force-cancel' : 'cancel';
  await c.client({ tenant: o.tenantName }).executions.action(id, action);
  c.out.info(
    `A ${action} request for execution ${id} has been sent. To track the execution's status, use:\ncfy executions get ${id}`,
  );
}

export async function resume(c: Ctx, o: { resetOperations?: boolean; tenantName?: string }, id: string) {
  const action = o.resetOperations ? 'force-resume' : 'resume';
  await c.client({ tenant: o.tenantName }).executions.action(id, action);
  c.out.info(
    `A ${action} request for execution ${id} has been sent. To track the execution's status, use:\ncfy executions get ${id}`,
  );
}
