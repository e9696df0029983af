// The manager's settings as 5.1 serves them: GET /config (?scope=), GET|PUT /config/{[scope.]name}
// (values checked against the entry's JSON schema), GET /provider/context, and GET /agents (agents
// are not installed by Stratus yet: always an empty list, with 5.1's filters checked).
import { Type } from 'typebox';
import { ambiguousName, badParameters, conflict, notFound } from '../../common/errors.js';
import {
  type ConfigRow,
  configEntries,
  providerContext,
  setConfigValue,
} from '../../store/repositories/manager-settings.js';
import { PERMISSIONS, SYSTEM_ROLES, TENANT_ROLES } from '../auth/permissions.js';
import type { Api, ManagerContext } from '../context.js';
import { checkSchema } from '../config-schema.js';
import { Any, Bool, errorResponses, ListQuery, listOf, NStr, Str } from '../schemas/common.js';

const ConfigItem = Type.Object({
  name: Str,
  scope: Str,
  value: Any,
  schema: Any,
  is_editable: Bool,
  updated_at: NStr,
  updater_name: NStr,
});
const ConfigList = Type.Object({
  items: Type.Array(ConfigItem),
  metadata: Type.Object({}),
  authorization: Type.Optional(Type.Object({ roles: Type.Array(Any), permissions: Any })),
});
const NameParam = Type.Object({ name: Type.String({ minLength: 1 }) });

/** The entry `[scope.]name`, or 404 / 409 ambiguous_name. */
async function findEntry(ctx: ManagerContext, full: string): Promise<ConfigRow> {
  const dot = full.lastIndexOf('.');
  const name = dot < 0 ? full : full.slice(dot + 1);
  const scope = dot < 0 ? undefined : full.slice(0, dot);
  const rows = await configEntries(ctx.db, { name, scope });
  if (rows.length === 0)
    throw notFound(`Config entry \`${full}\` does not exist: \`cfy config list\` shows the names and scopes`);
  if (rows.length > 1)
    throw ambiguousName(
      `Expected 1 value, but found ${rows.length}: prefix the scope (${rows.map((r) => `${r.scope}.${name}`).join(', ')})`,
    );
  return rows[0]!;
}

function authorization() {
  const roles = [
    ...SYSTEM_ROLES.map((name) => ({ name, type: 'system_role' })),
    ...TENANT_ROLES.map((name) => ({ name, type: 'tenant_role' })),
  ];
  return { roles, permissions: Object.fromEntries(PERMISSIONS) };
}

export async function registerManagerConfigRoutes(app: Api, ctx: ManagerContext): Promise<void> {
  registerConfig(app, ctx);
  registerProviderContext(app, ctx);
  registerAgents(app);
}

function registerConfig(app: Api, ctx: ManagerContext): void {
  app.get(
    '/config',
    {
      config: { permission: 'manager_config_get' },
      schema: {
        summary: "The manager's config entries, optionally of one scope (rest, mgmtworker, agent, workflow)",
        querystring: Type.Object({ scope: Type.Optional(Str) }, { additionalProperties: false }),
        response: { 200: ConfigList, ...errorResponses },
      },
    },
    async (req) => {
      const { scope } = req.query;
      const items = await configEntries(ctx.db, { scope });
      return {
        items,
        metadata: {},
        ...(!scope || scope === 'authorization' ? { authorization: authorization() } : {}),
      };
    },
  );

  app.get(
    '/config/:name',
    {
      config: { permission: 'manager_config_get' },
      schema: { params: NameParam, response: { 200: ConfigItem, ...errorResponses } },
    },
    async (req) => findEntry(ctx, req.params.name),
  );

  app.put(
    '/config/:name',
    {
      config: { permission: 'manager_config_put' },
      schema: {
        summary:
          'Change a config entry; its JSON schema must accept the value, `force` for read-only entries',
        params: NameParam,
        body: Type.Object({ value: Any, force: Type.Optional(Bool) }, { additionalProperties: false }),
        response: { 200: ConfigItem, ...errorResponses },
      },
    },
    async (req) => {
      if (!('value' in req.body)) throw badParameters('Missing value in json request body');
      const entry = await findEntry(ctx, req.params.name);
      if (!entry.is_editable && !req.body.force)
        throw conflict(`${entry.name} is not editable: pass force to change it anyway`);
      const problem = entry.schema ? checkSchema(req.body.value, entry.schema) : undefined;
      if (problem) throw conflict(`${entry.scope}.${entry.name}: ${problem}`);
      await setConfigValue(ctx.db, entry, req.body.value, req.auth.user.id);
      return findEntry(ctx, `${entry.scope}.${entry.name}`);
    },
  );
}

function registerProviderContext(app: Api, ctx: ManagerContext): void {
  app.get(
    '/provider/context',
    {
      config: { permission: 'provider_context_get' },
      schema: {
        summary: 'The provider context (name and context)',
        response: { 200: Type.Object({ name: Str, context: Any }), ...errorResponses },
      },
    },
    async () => {
      const row = await providerContext(ctx.db);
      if (!row) throw notFound('Requested `ProviderContext` with ID `CONTEXT` was not found');
      return row;
    },
  );
}

/** The fields 5.1 lists and filters agents by. */
const AGENT_FIELDS = [
  'id',
  'name',
  'ip',
  'install_method',
  'system',
  'version',
  'state',
  'rabbitmq_exchange',
  'created_at',
  'updated_at',
  'visibility',
  'tenant_name',
  'created_by',
  'node_instance_id',
  'node_id',
  'deployment_id',
  'host_id',
  'node',
  'deployment',
  'node_ids',
  'node_instance_ids',
  'install_methods',
];
const AgentBody = Type.Object(Object.fromEntries(AGENT_FIELDS.map((f) => [f, Type.Optional(Any)])));

function registerAgents(app: Api): void {
  app.get(
    '/agents',
    {
      config: { permission: 'agent_list', tenant: true },
      schema: {
        summary: 'List the agents installed from the manager (none: Stratus installs no agents yet)',
        querystring: ListQuery,
        response: { 200: listOf(AgentBody), ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query as Record<string, unknown>;
      const bad = Object.keys(q).filter((k) => !k.startsWith('_') && !AGENT_FIELDS.includes(k));
      if (bad.length)
        throw badParameters(
          `Filter keys '${JSON.stringify(bad)}' do not exist. Allowed keys are: ${AGENT_FIELDS.join(', ')}`,
        );
      const offset = Number(q._offset ?? 0);
      const size = Number(q._size ?? 1000);
      return { items: [], metadata: { pagination: { total: 0, size, offset }, filtered: null } };
    },
  );
}
