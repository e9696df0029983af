// An execution's progress as the worker records it: operation states, node-instance states, events,
// logs and the finished-operations count, written together in one statement (the worker's writer
// batches them); and the node instance an operation runs on, read before the plugin runs.
import type { Db } from '../port.js';

/** The execution a batch belongs to, and the tenant, creator and deployment its rows get. */
export interface ExecutionScope {
  storageId: number;
  tenantId: number;
  creatorId: number;
  deploymentFk: number | null;
}

/** An operation's new state; `extra` is merged into its parameters (current_retries, result, exception…). */
export interface OperationStateRow {
  id: string;
  state: string;
  extra: Record<string, unknown>;
}

export interface EventRow {
  /** ISO time the event was made, stored as `reported_timestamp`; rows are inserted in array order. */
  timestamp: string;
  message: string;
  event_type: string;
  operation: string | null;
  /** The node instance id (Cloudify's event context node_id). */
  node_id: string | null;
  source_id: string | null;
  target_id: string | null;
  error_causes: unknown[] | null;
}

export interface LogRow {
  timestamp: string;
  message: string;
  logger: string;
  level: string;
  operation: string | null;
  node_id: string | null;
  source_id: string | null;
  target_id: string | null;
}

export interface ProgressBatch {
  ops: OperationStateRow[];
  /** Node instance id → state. */
  nodeStates: { id: string; state: string }[];
  events: EventRow[];
  logs: LogRow[];
  /** Operations that reached an end state for the first time: added to executions.finished_operations. */
  finished: number;
}

/**
 * Writes a batch in one statement with data-modifying CTEs: atomic like a transaction, one round trip.
 * Node-instance states are written only for instances of the scope's deployment and tenant.
 */
export async function writeProgress(db: Db, s: ExecutionScope, b: ProgressBatch): Promise<void> {
  const parts: string[] = [];
  const params: unknown[] = [s.storageId, s.tenantId, s.creatorId, s.deploymentFk];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (b.ops.length) {
    parts.push(`o AS (UPDATE operations o SET state = u->>'state', parameters = o.parameters || (u->'extra')
      FROM jsonb_array_elements(${param(JSON.stringify(b.ops))}::text::jsonb) AS u WHERE o.id = u->>'id' RETURNING 1)`);
  }
  if (b.nodeStates.length) {
    // Every write bumps the optimistic-lock version, as a PATCH /node-instances does.
    parts.push(`n AS (UPDATE node_instances ni SET state = u->>'state', version = ni.version + 1
      FROM jsonb_array_elements(${param(JSON.stringify(b.nodeStates))}::text::jsonb) AS u, nodes nd
      WHERE ni.id = u->>'id' AND ni._tenant_id = $2 AND nd._storage_id = ni._node_fk AND nd._deployment_fk = $4
      RETURNING 1)`);
  }
  if (b.events.length) {
    parts.push(`e AS (INSERT INTO events (reported_timestamp, _tenant_id, _creator_id, _execution_fk, message, event_type,
        operation, node_id, source_id, target_id, error_causes)
      SELECT (e->>'timestamp')::timestamptz, $2, $3, $1, e->>'message', e->>'event_type', e->>'operation',
        e->>'node_id', e->>'source_id', e->>'target_id', nullif(e->'error_causes', 'null'::jsonb)
      FROM jsonb_array_elements(${param(JSON.stringify(b.events))}::text::jsonb) WITH ORDINALITY AS x(e, k)
      ORDER BY k RETURNING 1)`);
  }
  if (b.logs.length) {
    parts.push(`l AS (INSERT INTO logs (reported_timestamp, _tenant_id, _creator_id, _execution_fk, message, logger, level,
        operation, node_id, source_id, target_id)
      SELECT (e->>'timestamp')::timestamptz, $2, $3, $1, e->>'message', e->>'logger', e->>'level',
        e->>'operation', e->>'node_id', e->>'source_id', e->>'target_id'
      FROM jsonb_array_elements(${param(JSON.stringify(b.logs))}::text::jsonb) WITH ORDINALITY AS x(e, k)
      ORDER BY k RETURNING 1)`);
  }
  if (b.finished) {
    parts.push(`f AS (UPDATE executions SET finished_operations = finished_operations + ${param(b.finished)}::int
      WHERE _storage_id = $1 RETURNING 1)`);
  }
  if (!parts.length) return;
  await db.query(
    `WITH ${parts.join(',\n')} SELECT 1 WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL
       AND ($4::int IS NULL OR $4::int IS NOT NULL)`,
    params,
  );
}
