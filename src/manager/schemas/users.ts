// Users and tenants (rest-api.md §1.2): response bodies, every field optional; request bodies closed.
import { Type } from 'typebox';
import { Any, Bool, Flag, Int, NStr, resource, Str } from './common.js';

export const UserBody = resource({
  username: Str,
  role: Str,
  active: Bool,
  is_locked: Bool,
  tenants: Any,
  tenant_roles: Any,
  groups: Any,
  group_system_roles: Any,
  created_at: NStr,
  first_login_at: NStr,
  last_login_at: NStr,
  show_getting_started: Bool,
});

export const UsernameParam = Type.Object({ username: Str });

export const CreateUserBody = Type.Object(
  {
    username: Str,
    password: Type.String({ minLength: 1 }),
    role: Type.Optional(Str),
    is_prehashed: Flag,
  },
  { additionalProperties: false },
);

export const ChangeUserBody = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1 })),
    role: Type.Optional(Str),
    show_getting_started: Flag,
  },
  { additionalProperties: false },
);

export const ActivationBody = Type.Object({
  action: Type.Union([Type.Literal('activate'), Type.Literal('deactivate')]),
});

export const TenantBody = resource({ id: Int, name: Str, users: Any, groups: Any, user_roles: Any });

export const TenantNameParam = Type.Object({ name: Str });

export const MembershipBody = Type.Object(
  { tenant_name: Str, username: Str, role: Type.Optional(Str) },
  { additionalProperties: false },
);
