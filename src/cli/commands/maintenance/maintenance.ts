// `cfy maintenance-mode`: GET /maintenance and POST /maintenance/{activate|deactivate}, with 5.1's lines.
import type { MaintenanceState } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import type { Action } from '../shared.js';

const POLL_MS = 5000;
const title = (k: string) =>
  k.replace(/(^|_)(\w)/g, (_, sep: string, ch: string) => `${sep ? ' ' : ''}${ch.toUpperCase()}`);

function show(c: Ctx, s: MaintenanceState): void {
  if (c.out.json) {
    c.out.jsonValue(s);
    return;
  }
  c.out.info('\nMaintenance Mode Status:');
  for (const [k, v] of Object.entries(s))
    if (v && k !== 'remaining_executions') c.out.info(`\t${title(k)}:\t${v}`);
  c.out.info('');
  const left = s.remaining_executions ?? [];
  if (left.length === 1)
    c.out.info(
      'Cloudify Manager currently has one running or pending execution. Waiting for it to finish before entering maintenance mode.',
    );
  else if (left.length > 1)
    c.out.info(
      `Cloudify Manager currently has ${left.length} running or pending executions. Waiting for all executions to finish before entering maintenance mode.`,
    );
  if (left.length && c.g.verbose > 0)
    c.out.table('Remaining executions:', ['id', 'deployment_id', 'workflow_id', 'status'], left);
  if (s.status === 'activated')
    c.out.info('INFO - Cloudify Manager is currently in maintenance mode. Most requests will be blocked.\n');
}

export const actions: Record<string, Action> = {
  async status(c: Ctx) {
    show(c, await c.client().maintenance.status());
  },
  async activate(c: Ctx, o: { wait?: boolean; timeout: number }) {
    if (o.timeout && !o.wait)
      throw usageError(
        "'--timeout' was used without '--wait'.",
        "add the '--wait' flag to the command in order to wait",
      );
    const client = c.client();
    c.out.info('Entering maintenance mode...');
    await client.maintenance.set('activate');
    if (!o.wait) {
      c.out.info("Run 'cfy maintenance-mode status' to check the maintenance mode's status.\n");
      return;
    }
    c.out.info(
      'Cloudify manager will enter Maintenance mode once there are no running or pending executions...\n',
    );
    const deadline = Date.now() + o.timeout * 1000;
    for (;;) {
      if (o.timeout > 0 && Date.now() > deadline)
        throw new CliError(
          'Timed out while entering maintenance mode. Note that the manager is still entering maintenance mode in the background',
          { fix: "run 'cfy maintenance-mode status' to check the status" },
        );
      if ((await client.maintenance.status()).status === 'activated') {
        c.out.info('Manager is in maintenance mode.');
        c.out.info('While in maintenance mode most requests will be blocked.');
        return;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  },
  async deactivate(c: Ctx) {
    c.out.info('Turning off maintenance mode...');
    await c.client().maintenance.set('deactivate');
    c.out.info('Maintenance mode is off.');
  },
};
