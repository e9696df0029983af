import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the cluster routes are being written.
export async function registerClusterRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
