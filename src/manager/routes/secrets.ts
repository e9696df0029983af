import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the secrets routes are being written.
export async function registerSecretRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
