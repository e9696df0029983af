// The endpoints Cloudify leaves open: the load balancer's health probe, and whether a snapshot restore runs.
import { Type } from 'typebox';
import { pingDatabase } from '../../store/repositories/managers.js';
import { restoreRunning } from '../../store/repositories/snapshots.js';
import { API, type Api, type ManagerContext } from '../context.js';

export async function registerPublicRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  app.get(
    `${API}/ok`,
    {
      schema: {
        summary: 'Health probe for load balancers',
        response: { 200: Type.String(), 500: Type.String() },
      },
    },
    async (_req, reply) => {
      try {
        await pingDatabase(ctx.db);
        return 'OK';
      } catch {
        return reply.code(500).send('FAIL');
      }
    },
  );

  app.get(
    `${API}/snapshot-status`,
    {
      schema: {
        summary: 'Whether a snapshot restore is running (no authentication, as in 5.1)',
        response: {
          200: Type.Object({ status: Type.Union([Type.Literal('running'), Type.Literal('not-running')]) }),
        },
      },
    },
    async () => ({
      status: (await restoreRunning(ctx.db)) ? ('running' as const) : ('not-running' as const),
    }),
  );
}
