// What every route module receives: the store, the settings, and the ports to the rest of the system.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Lifecycle } from '../executions/lifecycle.js';
import type { Db } from '../store/port.js';
import type { AuthContext, Authenticator } from './auth/authenticate.js';
import type { ManagerConfig } from './config.js';
import { forbidden } from '../common/errors.js';
import type { Scope } from '../store/repositories/list.js';

/** What route modules register on: request types come from each route's TypeBox schemas. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The prefix of every REST API v3.1 route. */
export const API = '/api/v3.1';

/**
 * Parses an extracted blueprint into a plan; until the DSL is wired it is absent and upload only stores.
 * `scope` is the uploader's: `plugin:` imports resolve against the plugins it sees.
 */
export type BlueprintParser = (
  blueprintDir: string,
  mainFile: string,
  scope?: Scope,
) => Promise<Record<string, unknown>>;

/**
 * Evaluates a deployment's outputs or capabilities (get_attribute, get_secret, get_capability, …)
 * against the current node instances: `{name: value}`. Throws the DSL's evaluation error as is.
 */
export type SectionEvaluator = (
  deploymentStorageId: number,
  which: 'outputs' | 'capabilities',
) => Promise<Record<string, unknown>>;

export interface ManagerContext {
  db: Db;
  config: ManagerConfig;
  authenticator: Authenticator;
  /** Root of the file server (uploaded-blueprints/, blueprints/, …). */
  resourcesDir: string;
  /** The execution lifecycle (create, status changes, actions, queue), shared with the worker. */
  executions: Lifecycle;
  parseBlueprint?: BlueprintParser;
  /** GET /deployments/{id}/outputs and /capabilities call this. */
  evaluateOutputs: SectionEvaluator;
  /** Extra /status entries (worker, broker), each probed per request. */
  serviceProbes?: (() => Promise<
    Record<string, { status: 'Active' | 'Inactive'; is_remote: boolean; extra_info: Record<string, unknown> }>
  >)[];
  /** Encrypts and decrypts secret values at rest. */
  secrets: { encrypt(plain: string): string; decrypt(stored: string): string };
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
  interface FastifyContextConfig {
    /** Permission name checked after authentication (rest-api.md §2.4). */
    permission?: string;
    /** The route works on tenant resources: a Tenant header is required. */
    tenant?: boolean;
    /** Hand the body over as raw bytes whatever its content type (license upload). */
    rawBody?: boolean;
  }
}

export function isAdmin(req: FastifyRequest): boolean {
  return req.auth.roles.includes('sys_admin');
}

export function scopeOf(req: FastifyRequest): Scope {
  return { tenantId: req.auth.tenant?.id, userId: req.auth.user.id, isAdmin: isAdmin(req) };
}

export function tenantOf(req: FastifyRequest): { id: number; name: string } {
  if (!req.auth.tenant) throw forbidden('Authorization failed: tenant not provided');
  return req.auth.tenant;
}
