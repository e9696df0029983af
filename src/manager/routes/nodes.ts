import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the nodes routes are being written.
export async function registerNodeRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
