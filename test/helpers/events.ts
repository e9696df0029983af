// The keys of Cloudify 5.1.2's GET /events items (rest-service resources_v3 Events: the union's
// columns without id, node_id and message_code; events drop logger and level, logs event_type).
const COMMON_KEYS = [
  '_storage_id',
  'timestamp',
  'reported_timestamp',
  'blueprint_id',
  'deployment_id',
  'execution_id',
  'workflow_id',
  'message',
  'error_causes',
  'operation',
  'node_instance_id',
  'node_name',
  'source_id',
  'target_id',
  'type',
];
export const EVENT_KEYS = [...COMMON_KEYS, 'event_type'].sort();
export const LOG_KEYS = [...COMMON_KEYS, 'logger', 'level'].sort();
