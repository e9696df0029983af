// restart = stop, then start (Cloudify runs two graphs one after the other; here every start
// op waits for every stop op in one graph).
import type { WorkflowContext } from './context.js';
import { buildStart } from './start.js';
import { buildStop } from './stop.js';

export function buildRestart(ctx: WorkflowContext): void {
  const stops = [...buildStop(ctx, ctx.params.stop_parms, 'stop_').values()];
  const starts = [...buildStart(ctx, ctx.params.start_parms, 'start_').values()];
  const allStops = ctx.b.forkjoin(stops);
  for (const s of starts) ctx.b.depend(s, allStops);
}
