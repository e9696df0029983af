import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the events routes are being written.
export async function registerEventRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
