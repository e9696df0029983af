// Blueprint schemas (rest-api.md §1.3): the response body (every field optional, so _include can
// project), the upload arguments in the query, and the bodies of the internal PATCH and set-visibility.
import { Type } from 'typebox';
import { Any, Bool, ErrorBody, errorResponses, Flag, NStr, resource, Str, Visibility } from './common.js';

export const BlueprintBody = resource({
  id: Str,
  visibility: Str,
  tenant_name: Str,
  created_by: Str,
  created_at: Str,
  updated_at: Str,
  private_resource: Bool,
  resource_availability: Str,
  main_file_name: NStr,
  plan: Any,
  description: NStr,
  is_hidden: Bool,
  state: Str,
  error: NStr,
  error_traceback: NStr,
  labels: Any,
  upload_execution: Any,
  requirements: Any,
});

const QueryValue = Type.Union([Type.String(), Type.Array(Type.String())]);

/**
 * The upload (and validate) arguments in the query string, as the 5.1 client sends them with a raw body
 * or a URL. The multipart `params` JSON may give the same ones (request.ts). Other arguments the
 * clients send (skip_execution, …) are accepted and ignored.
 */
export const UploadQuery = Type.Object(
  {
    application_file_name: Type.Optional(Str),
    blueprint_archive_url: Type.Optional(Str),
    // A string, not the Visibility enum: a bad one gets Cloudify's own message (request.ts).
    visibility: Type.Optional(Str),
    private_resource: Flag,
    async_upload: Flag,
    labels: Type.Optional(QueryValue),
    requirements: Type.Optional(QueryValue),
  },
  { additionalProperties: QueryValue },
);

export const uploadErrors = { ...errorResponses, 413: ErrorBody, 415: ErrorBody };

export const DeleteQuery = Type.Object({ force: Flag }, { additionalProperties: true });

export const PatchBody = Type.Object(
  {
    plan: Type.Optional(Any),
    description: Type.Optional(NStr),
    main_file_name: Type.Optional(Str),
    state: Type.Optional(Str),
    error: Type.Optional(NStr),
    error_traceback: Type.Optional(NStr),
    labels: Type.Optional(Any),
    requirements: Type.Optional(Any),
    visibility: Type.Optional(Visibility),
    creator: Type.Optional(Any),
    created_at: Type.Optional(Any),
    upload_execution: Type.Optional(Any),
  },
  { additionalProperties: false },
);

export const VisibilityBody = Type.Object({ visibility: Visibility }, { additionalProperties: false });
