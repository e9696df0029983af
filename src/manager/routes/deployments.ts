import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the deployments routes are being written.
export async function registerDeploymentRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
