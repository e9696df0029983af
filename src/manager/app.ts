// buildApp wires the REST API v3.1: infrastructure first (parsers, errors, OpenAPI), then the open
// routes, then the authenticated context that holds every other route. Tests call it and inject().
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { hasPermission } from './auth/permissions.js';
import { API, type ManagerContext } from './context.js';
import { badParameters, forbidden } from '../common/errors.js';
import { installErrorHandling, rejectNul } from './http-errors.js';
import { registerBlueprintRoutes } from './routes/blueprints.js';
import { registerClusterRoutes } from './routes/cluster.js';
import { registerDeploymentRoutes } from './routes/deployments.js';
import { registerDeploymentUpdateRoutes } from './routes/deployment-updates.js';
import { registerEventRoutes } from './routes/events.js';
import { registerExecutionRoutes } from './routes/executions.js';
import { registerAgentFileRoutes, registerFileRoutes } from './routes/files.js';
import { registerLicenseRoutes } from './routes/license.js';
import { registerMaintenanceRoutes } from './routes/maintenance.js';
import { registerManagerConfigRoutes } from './routes/manager-config.js';
import { registerSiteRoutes } from './routes/sites.js';
import { registerSnapshotRoutes } from './routes/snapshots.js';
import { maintenanceGate } from './maintenance.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { registerPluginRoutes } from './routes/plugins.js';
import { registerPublicRoutes } from './routes/public.js';
import { registerSecretRoutes } from './routes/secrets.js';
import { registerStatusRoutes, registerVersionRoute } from './routes/status.js';
import { registerTenantRoutes } from './routes/tenants.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerUserRoutes } from './routes/users.js';
import { ErrorBody } from './schemas/common.js';
import { type HttpMetrics, installHttpMetrics } from './metrics.js';

export interface BuildAppOptions {
  /** Time every request into these metrics (the metrics listener is on); unset: no hook at all. */
  httpMetrics?: HttpMetrics;
}

export async function buildApp(
  ctx: ManagerContext,
  logger: Logger | false = false,
  opts: BuildAppOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (logger || undefined) as FastifyBaseLogger | undefined,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.blueprintMaxSizeMb * 1024 * 1024,
    // Resource ids may be up to 256 characters (Cloudify's limit); Fastify's default is 100.
    routerOptions: { maxParamLength: 300 },
    ...(ctx.config.trustedProxies?.length ? { trustProxy: ctx.config.trustedProxies } : {}),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } },
  });
  app.decorateRequest('auth', null as never);
  if (opts.httpMetrics) installHttpMetrics(app, opts.httpMetrics);
  installBodyParsers(app);
  // Cloudify's clients POST some actions (e.g. /tokens) with no body at all: treat that as `{}` so the
  // route's schema sees an empty object and names any missing field, instead of "body must be object".
  // The Python client also sends query booleans as str(bool), `force=False`; Cloudify lowercases them.
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined && req.method !== 'GET' && req.method !== 'HEAD') req.body = {};
    rejectNul(req);
    const q = req.query as Record<string, unknown>;
    for (const k of Object.keys(q ?? {}))
      if (typeof q[k] === 'string' && /^(true|false)$/i.test(q[k])) q[k] = q[k].toLowerCase();
  });
  installErrorHandling(app, { debug: ctx.config.debug === true });
  await app.register(multipart, {
    limits: { fileSize: ctx.config.blueprintMaxSizeMb * 1024 * 1024, files: 1, fields: 20 },
  });
  await app.register(swagger, {
    openapi: { info: { title: 'Stratus REST API (Cloudify v3.1 compatible)', version: '3.1' } },
  });
  app.addSchema(ErrorBody);

  await app.register(async (open) => {
    await registerPublicRoutes(open.withTypeProvider(), ctx);
    await registerAgentFileRoutes(open.withTypeProvider(), ctx);
  });
  await app.register(async (secured) => {
    // onRequest, before the body is parsed and validated: an unauthenticated caller gets 401, one
    // without the permission 403, and only then does the schema answer 400 (Cloudify's order).
    secured.addHook('onRequest', async (req) => {
      req.auth = await ctx.authenticator.authenticate(req.headers, req.ip);
      const { permission, tenant } = req.routeOptions.config;
      if (tenant && !req.auth.tenant) throw forbidden('Authorization failed: tenant not provided');
      if (permission && !hasPermission(req.auth.roles, permission)) {
        throw forbidden(
          `User \`${req.auth.user.username}\` is not permitted to perform the action ${permission} in the tenant \`${req.auth.tenant?.name ?? ''}\``,
        );
      }
      await maintenanceGate(ctx.db, req);
    });
    for (const register of [
      registerStatusRoutes,
      registerTokenRoutes,
      registerUserRoutes,
      registerTenantRoutes,
      registerBlueprintRoutes,
      registerDeploymentRoutes,
      registerDeploymentUpdateRoutes,
      registerExecutionRoutes,
      registerNodeRoutes,
      registerEventRoutes,
      registerSecretRoutes,
      registerPluginRoutes,
      registerLicenseRoutes,
      registerClusterRoutes,
      registerMaintenanceRoutes,
      registerManagerConfigRoutes,
      registerSiteRoutes,
      registerSnapshotRoutes,
    ]) {
      await secured.register(async (scope) => register(scope.withTypeProvider(), ctx), { prefix: API });
    }
    // The version is also served without the API prefix, as Cloudify does; the file server sits beside it.
    await secured.register(async (scope) => registerVersionRoute(scope.withTypeProvider()));
    await secured.register(async (scope) => registerFileRoutes(scope.withTypeProvider(), ctx));
  });
  app.get(`${API}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  return app;
}

function installBodyParsers(app: FastifyInstance): void {
  // The Python client sends `Content-type: application/json` on every request, bodies or not, and on
  // the raw license upload; so an empty body is "no body" and raw routes get the bytes.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    if (req.routeOptions.config.rawBody) return done(null, body);
    if (body.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch (e) {
      done(badParameters(`Malformed JSON in the request body: ${(e as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body: Buffer, done) => done(null, body));
}
