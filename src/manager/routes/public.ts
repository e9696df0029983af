// The endpoints Cloudify leaves open: the load balancer's health probe.
import { Type } from 'typebox';
import { pingDatabase } from '../../store/repositories/managers.js';
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
}
