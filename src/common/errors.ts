// One catalogue of REST errors. Each carries Cloudify's error_code and HTTP status; the single error
// handler in app.ts renders them as {message, error_code, server_traceback}. docs/errors.md lists them.

export class CloudifyError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const make =
  (status: number, code: string) =>
  (message: string): CloudifyError =>
    new CloudifyError(status, code, message);

export const badParameters = make(400, 'bad_parameters_error');
export const invalidBlueprint = make(400, 'invalid_blueprint_error');
export const invalidPlugin = make(400, 'invalid_plugin_error');
export const noSuchIncludeField = make(400, 'no_such_include_field_error');
export const existingRunningExecution = make(400, 'existing_running_execution_error');
export const illegalExecutionParameters = make(400, 'illegal_execution_parameters_error');
export const nonexistentWorkflow = make(400, 'nonexistent_workflow_error');
export const invalidStatusUpdate = make(400, 'invalid_exception_status_update');
export const dependentExists = make(400, 'dependent_exists_error');
export const deploymentCreation = make(400, 'deployment_creation_error');
export const missingRequiredInput = make(400, 'missing_required_deployment_input_error');
export const unknownInput = make(400, 'unknown_deployment_input_error');
export const constraintError = make(400, 'constraint_error');
export const unknownAction = make(400, 'unknown_action');
export const uploadMissingFile = make(400, 'upload_missing_file');
export const illegalAction = make(400, 'illegal_action_error');
export const snapshotAction = make(400, 'snapshot_action_error');
export const unsupportedDeploymentUpdate = make(400, 'unsupported_change_in_deployment_update');
export const unauthorized = make(401, 'unauthorized_error');
export const forbidden = make(403, 'forbidden_error');
export const notFound = make(404, 'not_found_error');
export const methodNotAllowed = make(405, 'method_not_allowed_error');
export const pluginInUse = make(405, 'plugin_in_use');
export const conflict = make(409, 'conflict_error');
export const payloadTooLarge = make(413, 'payload_too_large_error');
export const unsupportedContentType = make(415, 'unsupported_content_type_error');
export const ambiguousName = make(409, 'ambiguous_name');
export const maintenanceModeActive = make(503, 'maintenance_mode_active');
export const enteringMaintenanceMode = make(503, 'entering_maintenance_mode');

/** "Requested `Deployment` with ID `d1` was not found" — Cloudify's exact wording. */
export function notFoundResource(kind: string, id: string): CloudifyError {
  return notFound(`Requested \`${kind}\` with ID \`${id}\` was not found`);
}

export const NO_AUTH_MESSAGE = 'User unauthorized: No authentication info provided';
