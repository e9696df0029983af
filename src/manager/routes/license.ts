import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the license routes are being written.
export async function registerLicenseRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
