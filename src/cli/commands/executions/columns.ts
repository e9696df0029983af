import type { Column } from '../../output.js';

export const EXECUTION_COLUMNS: (string | Column)[] = [
  'id',
  'workflow_id',
  { key: 'status', get: (e) => e.status_display ?? e.status },
  'is_dry_run',
  'deployment_id',
  'created_at',
  'started_at',
  'scheduled_for',
  'visibility',
  'tenant_name',
  'created_by',
];

export const EXECUTION_GET_COLUMNS: (string | Column)[] = [...EXECUTION_COLUMNS, 'ended_at', 'error'];
