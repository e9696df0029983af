import type { FastifyInstance } from 'fastify';
import type { ManagerContext } from '../context.js';

// Placeholder: the blueprints routes are being written.
export async function registerBlueprintRoutes(_app: FastifyInstance, _ctx: ManagerContext): Promise<void> {}
