// Plugin schemas (rest-api.md §1.8): the response body (every field optional, so _include can project),
// the upload arguments and the delete arguments.
import { Type } from 'typebox';
import { Any, Bool, Flag, NStr, resource, Str } from './common.js';

export const PluginBody = resource({
  id: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  private_resource: Bool,
  resource_availability: Str,
  package_name: Str,
  package_version: NStr,
  archive_name: NStr,
  package_source: NStr,
  supported_platform: Any,
  distribution: NStr,
  distribution_version: NStr,
  distribution_release: NStr,
  wheels: Any,
  excluded_wheels: Any,
  supported_py_versions: Any,
  uploaded_at: Str,
  title: NStr,
  installation_state: Any,
  file_server_path: Str,
  yaml_url_path: Str,
});

const QueryValue = Type.Union([Type.String(), Type.Array(Type.String())]);

/** POST /plugins: as the 5.1 client sends them in the query; others are accepted and ignored. */
export const PluginUploadQuery = Type.Object(
  {
    title: Type.Optional(Str),
    // A string, not the enum: a bad one gets Cloudify's own message (upload.ts).
    visibility: Type.Optional(Str),
    private_resource: Flag,
    plugin_archive_url: Type.Optional(Str),
  },
  { additionalProperties: QueryValue },
);

/** DELETE /plugins/<id>: `force` in the JSON body (the 5.1 client) or the query. */
export const PluginDeleteBody = Type.Object({ force: Flag }, { additionalProperties: true });
export const PluginDeleteQuery = Type.Object({ force: Flag }, { additionalProperties: true });

/** GET /plugins/<id> and the list: `_get_data` fills file_server_path. */
export const PluginGetQuery = Type.Object(
  { _include: Type.Optional(Str), _get_data: Flag },
  { additionalProperties: true },
);
