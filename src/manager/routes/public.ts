// The endpoints Cloudify leaves open: the load balancer's health probe.
import type { FastifyInstance } from 'fastify';
import { API } from '../context.js';
import type { ManagerContext } from '../context.js';

export async function registerPublicRoutes(app: FastifyInstance, ctx: ManagerContext): Promise<void> {
  app.get(
    `${API}/ok`,
    {
      schema: {
        summary: 'Health probe for load balancers',
        response: { 200: { type: 'string' }, 500: { type: 'string' } },
      },
    },
    async (_req, reply) => {
      try {
        await ctx.db.query('SELECT 1');
        return 'OK';
      } catch {
        return reply.code(500).send('FAIL');
      }
    },
  );
}
