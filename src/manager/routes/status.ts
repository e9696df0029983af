// GET /status (rest-api.md §4.1) and the version endpoints.
import { Type } from 'typebox';
import { VERSION } from '../config.js';
import type { Api, ManagerContext } from '../context.js';
import { errorResponses, Flag } from '../schemas/common.js';

const Service = Type.Object({
  status: Type.String(),
  is_remote: Type.Boolean(),
  extra_info: Type.Record(Type.String(), Type.Any()),
});
const StatusBody = Type.Object({ status: Type.String(), services: Type.Record(Type.String(), Service) });
const VersionBody = Type.Object({
  version: Type.String(),
  edition: Type.String(),
  distribution: Type.String(),
  distro_release: Type.String(),
  build: Type.Null(),
  date: Type.Null(),
  commit: Type.Null(),
});

export interface ServiceStatus {
  status: 'Active' | 'Inactive';
  is_remote: boolean;
  extra_info: Record<string, unknown>;
}

/** Extra service probes (worker, broker) contributed by whoever runs them. */
export type ServiceProbe = () => Promise<Record<string, ServiceStatus>>;

export async function registerStatusRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  app.get(
    '/status',
    {
      config: { permission: 'status_get' },
      schema: {
        summary: 'Manager status and its service map',
        querystring: Type.Object({ summary: Flag }),
        response: { 200: StatusBody, ...errorResponses },
      },
    },
    async (req) => {
      const services: Record<string, ServiceStatus> = {
        'Manager Rest-Service': { status: 'Active', is_remote: false, extra_info: {} },
        'File Server': { status: 'Active', is_remote: false, extra_info: {} },
      };
      // The request already reached the database; a clustered database is reported by cluster-status.
      if (!ctx.config.dbUrl?.includes(',')) {
        services.PostgreSQL = { status: 'Active', is_remote: ctx.db.driver === 'server', extra_info: {} };
      }
      for (const probe of ctx.serviceProbes ?? []) Object.assign(services, await probe());
      const status = Object.values(services).some((s) => s.status !== 'Active') ? 'Fail' : 'OK';
      return { status, services: req.query.summary ? {} : services };
    },
  );
  app.get(
    '/version',
    {
      config: { permission: 'version_get' },
      schema: { summary: 'Manager version', response: { 200: VersionBody } },
    },
    async () => ({ ...VERSION, build: null, date: null, commit: null }),
  );
}

export async function registerVersionRoute(app: Api): Promise<void> {
  app.get(
    '/api/version',
    {
      config: { permission: 'version_get' },
      schema: { summary: 'Manager version', response: { 200: VersionBody } },
    },
    async () => ({ ...VERSION, build: null, date: null, commit: null }),
  );
}
