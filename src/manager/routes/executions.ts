import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the executions routes are being written.
export async function registerExecutionRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
