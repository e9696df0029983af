// `cfy executions start WORKFLOW -d DEP`: start it, then follow its events to the end.
import { CloudifyClientError } from '../../client/errors.js';
import type { CloudifyClient } from '../../client/index.js';
import type { Execution } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { parseInputs } from '../../inputs.js';
import { follow, POLL_INTERVAL_MS, reportEnd } from './follow.js';

export interface StartOpts {
  deploymentId: string;
  parameters?: string[];
  allowCustomParameters?: boolean;
  force?: boolean;
  timeout: number;
  logs: boolean;
  includeLogs?: boolean;
  jsonOutput?: boolean;
  dryRun?: boolean;
  queue?: boolean;
  waitAfterFail?: number;
  tenantName?: string;
}

const ENV_BUSY = new Set([
  'deployment_environment_creation_in_progress_error',
  'deployment_environment_creation_pending_error',
]);

async function waitForEnvironment(
  client: CloudifyClient,
  deploymentId: string,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    const r = await client.executions.list(
      { filters: { deployment_id: deploymentId, workflow_id: 'create_deployment_environment' } },
      true,
    );
    if (r.items.every((e) => ['terminated', 'failed', 'cancelled'].includes(e.status))) return;
    await new Promise((res) => setTimeout(res, POLL_INTERVAL_MS));
  }
}

export async function startAndFollow(
  c: Ctx,
  client: CloudifyClient,
  workflowId: string,
  o: StartOpts,
): Promise<Execution> {
  const parameters = parseInputs(o.parameters);
  const deadline = Date.now() + o.timeout * 1000;
  c.out.info(
    `Executing workflow ${workflowId} on deployment ${o.deploymentId} [timeout=${o.timeout} seconds]`,
  );
  let ex: Execution;
  for (;;) {
    try {
      ex = await client.executions.start({
        deploymentId: o.deploymentId,
        workflowId,
        parameters,
        allowCustomParameters: o.allowCustomParameters,
        force: o.force,
        dryRun: o.dryRun,
        queue: o.queue,
        waitAfterFail: o.waitAfterFail,
      });
      break;
    } catch (e) {
      if (!(e instanceof CloudifyClientError && ENV_BUSY.has(e.errorCode ?? '')) || Date.now() > deadline)
        throw e;
      c.out.info('Deployment environment creation is in progress...');
      await waitForEnvironment(client, o.deploymentId, deadline);
    }
  }
  if (ex.status === 'queued' || ex.status === 'scheduled') {
    c.out.info(`Execution is ${ex.status}. To track its progress use: cfy executions get ${ex.id}`);
    if (c.out.json) c.out.jsonValue({ id: ex.id, status: ex.status });
    return ex;
  }
  const timeLeft = Math.max(1, (deadline - Date.now()) / 1000);
  const done = await follow(c, client, ex.id, {
    timeout: timeLeft,
    includeLogs: o.logs !== false,
    jsonEvents: Boolean(o.jsonOutput || c.out.json),
  });
  reportEnd(c, done);
  return done;
}

export async function run(c: Ctx, o: StartOpts, workflowId: string): Promise<void> {
  await startAndFollow(c, c.client({ tenant: o.tenantName }), workflowId, o);
}
