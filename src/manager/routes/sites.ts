// Sites (rest-api.md §1.8): GET /sites, GET|PUT|POST|DELETE /sites/{name}. The location is
// "latitude,longitude"; an empty location clears it.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { badParameters, conflict, forbidden, illegalAction, notFoundResource } from '../../common/errors.js';
import { listResources, publicRow } from '../../store/repositories/list.js';
import {
  deleteSite,
  findSite,
  insertSite,
  SITES,
  type SiteRow,
  siteNameTaken,
  updateSite,
} from '../../store/repositories/sites.js';
import { hasPermission } from '../auth/permissions.js';
import { type Api, type ManagerContext, scopeOf, tenantOf } from '../context.js';
import {
  errorResponses,
  ListQuery,
  listOf,
  NStr,
  resource,
  Str,
  Visibility,
  commonProps,
} from '../schemas/common.js';

const { id: _id, ...props } = commonProps;
const SiteBody = resource({ name: Str, location: NStr, ...props });
const NameParam = Type.Object({ name: Str });
const SiteWrite = Type.Object(
  {
    location: Type.Optional(NStr),
    visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
    new_name: Type.Optional(NStr),
  },
  { additionalProperties: false },
);
const VALID_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
const RANK: Record<string, number> = { private: 0, tenant: 1, global: 2 };

function checkName(name: string, what = 'name'): void {
  if (!VALID_NAME.test(name))
    throw badParameters(
      `The ${what} argument "${name}" is invalid: use up to 256 letters, digits and the characters "-", "." and "_"`,
    );
}

/** "lat,long" → numbers; '' → nulls (cleared); undefined → undefined (unchanged). */
export function parseLocation(
  location: string | null | undefined,
): { lat: number | null; long: number | null } | undefined {
  if (location === undefined || location === null) return undefined;
  if (location === '') return { lat: null, long: null };
  const [a, b, ...more] = location.split(',');
  if (b === undefined || more.length)
    throw badParameters(
      `Invalid location \`${location}\`, the format is expected to be "latitude,longitude" such as "32.071072,34.787274"`,
    );
  const lat = Number(a);
  const long = Number(b);
  if (a!.trim() === '' || b.trim() === '' || Number.isNaN(lat) || Number.isNaN(long))
    throw badParameters(
      `Invalid location \`${location}\`, the latitude and longitude are expected to be of type float`,
    );
  if (!(lat >= -90 && lat <= 90 && long >= -180 && long <= 180))
    throw badParameters(
      `Invalid location \`${location}\`. The latitude must be a number between -90 and 90 and the longitude between -180 and 180`,
    );
  return { lat, long };
}

function checkGlobal(req: FastifyRequest, visibility: string | null | undefined): void {
  if (visibility === 'global' && !hasPermission(req.auth.roles, 'create_global_resource'))
    throw forbidden(`User \`${req.auth.user.username}\` is not permitted to set a global resource`);
}

type Lookup = {
  getSite: (req: FastifyRequest, name: string) => Promise<SiteRow>;
  view: (req: FastifyRequest, name: string) => Promise<Record<string, unknown>>;
};

export async function registerSiteRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  const getSite = async (req: FastifyRequest, name: string): Promise<SiteRow> => {
    const row = await findSite(ctx.db, scopeOf(req), name);
    if (!row) throw notFoundResource('Site', name);
    return row;
  };
  const view = async (req: FastifyRequest, name: string) => publicRow(await getSite(req, name));
  registerReadsAndCreate(app, ctx, { getSite, view });
  registerChanges(app, ctx, { getSite, view });
}

function registerReadsAndCreate(app: Api, ctx: ManagerContext, { view }: Lookup): void {
  const { db, config } = ctx;

  app.get(
    '/sites',
    {
      config: { permission: 'site_list', tenant: true },
      schema: {
        summary: 'List sites',
        querystring: ListQuery,
        response: { 200: listOf(SiteBody), ...errorResponses },
      },
    },
    async (req) => listResources(db, config, SITES, { query: req.query, scope: scopeOf(req) }),
  );

  app.get(
    '/sites/:name',
    {
      config: { permission: 'site_get', tenant: true },
      schema: { params: NameParam, response: { 200: SiteBody, ...errorResponses } },
    },
    async (req) => view(req, req.params.name),
  );

  app.put(
    '/sites/:name',
    {
      config: { permission: 'site_create', tenant: true },
      schema: {
        summary: 'Create a site',
        params: NameParam,
        body: SiteWrite,
        response: { 200: SiteBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      checkName(name);
      const loc = parseLocation(req.body.location);
      const visibility = req.body.visibility ?? 'tenant';
      checkGlobal(req, visibility);
      const tenant = tenantOf(req);
      if (await siteNameTaken(db, tenant.id, name))
        throw conflict(`A site named \`${name}\` already exists in tenant \`${tenant.name}\` or globally`);
      await insertSite(db, {
        name,
        latitude: loc?.lat ?? null,
        longitude: loc?.long ?? null,
        visibility,
        tenantId: tenant.id,
        creatorId: req.auth.user.id,
      });
      return view(req, name);
    },
  );
}

function registerChanges(app: Api, ctx: ManagerContext, { getSite, view }: Lookup): void {
  const { db } = ctx;
  app.post(
    '/sites/:name',
    {
      config: { permission: 'site_update', tenant: true },
      schema: {
        summary: 'Update a site (location, visibility, new_name)',
        params: NameParam,
        body: SiteWrite,
        response: { 200: SiteBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      const { new_name: newName, visibility } = req.body;
      const loc = parseLocation(req.body.location);
      const row = await getSite(req, name);
      if (newName && newName !== name) {
        checkName(newName, 'new_name');
        if (await siteNameTaken(db, tenantOf(req).id, newName))
          throw conflict(
            `Invalid new name \`${newName}\`, it already exists on ${tenantOf(req).name} or with global visibility`,
          );
      }
      if (visibility && RANK[visibility]! < RANK[row.visibility]!)
        throw illegalAction(
          `Can't set the visibility of \`${name}\` to ${visibility} because it already has wider visibility (${row.visibility})`,
        );
      checkGlobal(req, visibility);
      await updateSite(db, row.__storage_id, {
        name: newName || name,
        visibility: visibility ?? row.visibility,
        location: loc,
      });
      return view(req, newName || name);
    },
  );

  app.delete(
    '/sites/:name',
    {
      config: { permission: 'site_delete', tenant: true },
      schema: { params: NameParam, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (req, reply) => {
      const row = await getSite(req, req.params.name);
      await deleteSite(db, row.__storage_id);
      return reply.code(204).send(null);
    },
  );
}
