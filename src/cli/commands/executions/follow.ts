// Following an execution (cfy-cli.md A.9): print its events in order while polling its status, until
// it has ended *and* its workflow end event arrived (or one more poll after the end). A terminal gets
// a live "finished/total operations" line; a pipe gets only the event lines.
import type { CloudifyClient } from '../../client/index.js';
import { END_STATES, type Execution } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { formatEvent } from '../../events-format.js';
import { EXIT } from '../../exit-codes.js';

/** Cloudify polls every 3 s; Stratus polls every second (the manager answers from its database). */
export const POLL_INTERVAL_MS = 1000;
const BATCH = 100;
const END_EVENTS = new Set(['workflow_succeeded', 'workflow_failed', 'workflow_cancelled']);

export interface FollowOptions {
  /** Seconds; undefined means no timeout (events list --tail). */
  timeout?: number;
  includeLogs: boolean;
  /** One raw JSON event per line (--json-output or --json). */
  jsonEvents: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function follow(
  c: Ctx,
  client: CloudifyClient,
  executionId: string,
  o: FollowOptions,
): Promise<Execution> {
  const deadline = o.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + o.timeout * 1000;
  let offset = 0;
  let sawEnd = false;
  let graceUsed = false;
  for (;;) {
    // Drain the events that are there.
    for (;;) {
      const page = await client.events.list({ executionId, includeLogs: o.includeLogs, offset, size: BATCH });
      for (const e of page.items) {
        if (e.event_type && END_EVENTS.has(e.event_type)) sawEnd = true;
        if (o.jsonEvents) c.out.print(JSON.stringify(e));
        else {
          const line = formatEvent(e, c.out.verbose);
          if (line !== null) c.out.print(line);
        }
      }
      offset += page.items.length;
      if (page.items.length < BATCH) break;
    }
    const ex = await client.executions.get(executionId);
    if (END_STATES.has(ex.status)) {
      if (sawEnd) return ex;
      if (graceUsed) {
        c.out.warn(`Execution ${executionId} ended, but its end event has not arrived`);
        return ex;
      }
      graceUsed = true;
    } else {
      const total = ex.total_operations;
      if (total)
        c.out.progress(
          `${ex.workflow_id}: ${ex.status} — ${ex.finished_operations ?? 0}/${total} operations`,
        );
      else c.out.progress(`${ex.workflow_id}: ${ex.status}`);
    }
    if (Date.now() > deadline) {
      c.out.clearProgress();
      throw new CliError(
        `Timed out waiting for execution ${executionId} of workflow ${ex.workflow_id} on deployment ${ex.deployment_id} to end (timeout=${o.timeout} seconds)`,
        {
          exitCode: EXIT.TIMEOUT,
          fix: `the execution is still running: track it with \`cfy executions list\`, \`cfy events list --tail ${executionId}\`, or stop it with \`cfy executions cancel ${executionId}\``,
        },
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

/** The closing lines Cloudify prints, and a non-zero exit when the execution did not succeed. */
export function reportEnd(c: Ctx, ex: Execution): void {
  c.out.clearProgress();
  const hint = `* Run 'cfy events list ${ex.id}' to retrieve the execution's events/logs`;
  if (ex.status === 'terminated') {
    c.out.info(`Finished executing workflow ${ex.workflow_id} on deployment ${ex.deployment_id}`);
    c.out.info(hint);
    return;
  }
  if (ex.status === 'cancelled') {
    throw new CliError(
      `Execution of workflow ${ex.workflow_id} for deployment ${ex.deployment_id} was cancelled`,
      {
        fix: hint.slice(2),
      },
    );
  }
  const more =
    ex.workflow_id === 'uninstall' ? '; to ignore failures, run it again with -p ignore_failure=true' : '';
  throw new CliError(
    `Execution of workflow ${ex.workflow_id} for deployment ${ex.deployment_id} failed. [error=${(ex.error ?? '').trim()}]`,
    { fix: `${hint.slice(2)}${more}` },
  );
}
