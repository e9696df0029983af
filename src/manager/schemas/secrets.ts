// Secrets (rest-api.md §1.8): list items carry no value; request bodies are closed.
import { Type } from 'typebox';
import { Any, Bool, Flag, NStr, resource, Str, Visibility } from './common.js';

const secretProps = {
  key: Str,
  created_at: Str,
  updated_at: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  is_hidden_value: Bool,
  schema: Any,
  private_resource: Bool,
  resource_availability: Str,
  provider_name: NStr,
  provider_options: Any,
};
export const SecretListItem = resource(secretProps);
export const SecretBody = resource({ ...secretProps, value: Any });

export const KeyParam = Type.Object({ key: Type.String({ minLength: 1 }) });

export const CreateSecretBody = Type.Object(
  {
    value: Any,
    update_if_exists: Flag,
    visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
    is_hidden_value: Flag,
    schema: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Any()), Type.Null()])),
    provider_name: Type.Optional(NStr),
    provider_options: Type.Optional(Any),
  },
  { additionalProperties: false },
);

export const UpdateSecretBody = Type.Optional(
  Type.Object(
    {
      value: Type.Optional(Any),
      visibility: Type.Optional(Type.Union([Visibility, Type.Null()])),
      // The Python client sends null for "leave as is".
      is_hidden_value: Type.Optional(Type.Union([Bool, Type.Null()])),
      creator: Type.Optional(NStr),
    },
    { additionalProperties: false },
  ),
);

export const VisibilityBody = Type.Object({ visibility: Visibility }, { additionalProperties: false });
