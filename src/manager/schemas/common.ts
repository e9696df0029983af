// Shared JSON schemas (TypeBox) for routes: the error body, list envelopes and common parameters.
import { type TSchema, Type } from 'typebox';

export const ErrorBody = Type.Object(
  {
    message: Type.String(),
    error_code: Type.String(),
    server_traceback: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'CloudifyError' },
);

export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const Pagination = Type.Object({
  pagination: Type.Object({ total: Type.Integer(), size: Type.Integer(), offset: Type.Integer() }),
  filtered: Type.Union([Type.Integer(), Type.Null()]),
});

export const listOf = (item: TSchema) => Type.Object({ items: Type.Array(item), metadata: Pagination });

/**
 * An optional boolean, in a query or a body. It is parsed here, once: ajv coerces "true"/"false",
 * and app.ts lowers the Python client's "True"/"False" in queries first.
 */
export const Flag = Type.Optional(Type.Boolean());

const LIST_PARAMS = {
  _offset: Type.Optional(Type.String({ pattern: '^\\d+$' })),
  _size: Type.Optional(Type.String({ pattern: '^\\d+$' })),
  _sort: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  _include: Type.Optional(Type.String()),
  _search: Type.Optional(Type.String()),
  _all_tenants: Type.Optional(Type.String()),
  _get_all_results: Type.Optional(Type.String()),
};

/**
 * A list query: the underscore parameters, the route's own `extra` ones, and any other key as a field
 * filter (checked against the resource's fields by listResources).
 */
export const listQuery = <P extends Record<string, TSchema>>(extra: P) =>
  Type.Object(
    { ...LIST_PARAMS, ...extra },
    { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
  );

export const ListQuery = listQuery({});

/** `?_get_data=true`: users and tenants with their members as dicts, not counts (5.1). */
export const GetData = Type.Object({ _get_data: Flag }, { additionalProperties: true });

export const Include = Type.Object(
  { _include: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

export const IdParam = Type.Object({ id: Type.String({ minLength: 1 }) });

export const Visibility = Type.Union([
  Type.Literal('private'),
  Type.Literal('tenant'),
  Type.Literal('global'),
]);

/** A resource whose fields are all optional (so `_include` can project) and JSON values are free-form. */
export const resource = (props: Record<string, TSchema>) =>
  Type.Object(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, Type.Optional(v)])), {
    additionalProperties: false,
  });

export const Str = Type.String();
export const NStr = Type.Union([Type.String(), Type.Null()]);
export const Bool = Type.Boolean();
export const Int = Type.Integer();
export const Any = Type.Any();
export const commonProps = {
  id: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  created_at: Str,
  private_resource: Bool,
  resource_availability: Str,
};
