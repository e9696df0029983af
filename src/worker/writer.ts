// Group commit for one execution's writes. The runner records operation states, node-instance
// states, events and logs as the engine emits them; `flush()` writes everything recorded so far in
// one transaction (later states of the same operation/instance replace earlier ones). The runner
// awaits a flush before it dispatches an operation, so an operation's `sent` state is durable before
// the plugin runs, and one flush serves every command of a step (and of steps queued meanwhile).
import type { EngineEvent, OperationFailure, OperationState } from '../engine/index.js';
import type { Db } from '../store/port.js';

export interface ExecutionScope {
  storageId: number;
  tenantId: number;
  creatorId: number;
  deploymentFk: number | null;
}

export interface LogRecord {
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  logger?: string;
  operation?: string;
  nodeInstanceId?: string;
  sourceId?: string;
  targetId?: string;
}

interface OpWrite {
  state: OperationState;
  retries: number;
  result?: unknown;
  error?: OperationFailure;
}

/** Process-wide counters (benchmarks). */
export const WRITER_STATS = { flushes: 0, ms: 0 };

const FINISHED = new Set<OperationState>(['succeeded', 'failed']);

/** Strictly increasing microsecond timestamps, so stored events sort in the order they were made. */
export class MonotonicClock {
  private lastUs = 0;
  nextIso(): string {
    const us = Math.max(Date.now() * 1000, this.lastUs + 1);
    this.lastUs = us;
    const ms = Math.floor(us / 1000);
    const iso = new Date(ms).toISOString(); // …T12:00:00.123Z
    return `${iso.slice(0, -1)}${String(us % 1000).padStart(3, '0')}Z`;
  }
}

export class ExecutionWriter {
  private ops = new Map<string, OpWrite>();
  private nodeStates = new Map<string, string>();
  private events: Record<string, unknown>[] = [];
  private logs: Record<string, unknown>[] = [];
  private finishedIds = new Set<string>();
  private inflight: Promise<void> | undefined;
  readonly clock = new MonotonicClock();

  constructor(
    private readonly db: Db,
    private readonly scope: ExecutionScope,
    /** Operations already in an end state (restored graph): not counted again. */
    alreadyFinished: Iterable<string> = [],
  ) {
    for (const id of alreadyFinished) this.finishedIds.add(id);
  }

  opState(id: string, w: OpWrite): void {
    this.ops.set(id, w);
  }

  nodeState(instanceId: string, state: string): void {
    this.nodeStates.set(instanceId, state);
  }

  event(e: EngineEvent): void {
    const c = e.context;
    this.events.push({
      timestamp: this.clock.nextIso(),
      message: e.message.text,
      event_type: e.event_type,
      operation: c.operation ?? null,
      // Cloudify's event context node_id is the node instance id (node_name is the node).
      node_id: c.node_instance_id ?? null,
      source_id: c.source_id ?? null,
      target_id: c.target_id ?? null,
      error_causes: e.error_causes ?? null,
    });
  }

  log(l: LogRecord): void {
    this.logs.push({
      timestamp: this.clock.nextIso(),
      message: l.message,
      logger: l.logger ?? 'ctx',
      level: l.level,
      operation: l.operation ?? null,
      node_id: l.nodeInstanceId ?? null,
      source_id: l.sourceId ?? null,
      target_id: l.targetId ?? null,
    });
  }

  private pending(): boolean {
    return this.ops.size > 0 || this.nodeStates.size > 0 || this.events.length > 0 || this.logs.length > 0;
  }

  /** Resolves once everything recorded before the call is committed. */
  async flush(): Promise<void> {
    while (this.inflight || this.pending()) {
      if (this.inflight) {
        await this.inflight;
        continue;
      }
      const batch = { ops: this.ops, nodeStates: this.nodeStates, events: this.events, logs: this.logs };
      this.ops = new Map();
      this.nodeStates = new Map();
      this.events = [];
      this.logs = [];
      const t0 = performance.now();
      this.inflight = this.write(batch).finally(() => {
        WRITER_STATS.flushes++;
        WRITER_STATS.ms += performance.now() - t0;
        this.inflight = undefined;
      });
      await this.inflight;
    }
  }

  private async write(b: {
    ops: Map<string, OpWrite>;
    nodeStates: Map<string, string>;
    events: Record<string, unknown>[];
    logs: Record<string, unknown>[];
  }): Promise<void> {
    const s = this.scope;
    let finished = 0;
    const ops = [...b.ops].map(([id, w]) => {
      if (FINISHED.has(w.state) && !this.finishedIds.has(id)) {
        this.finishedIds.add(id);
        finished++;
      }
      const extra: Record<string, unknown> = { current_retries: w.retries };
      if (w.result !== undefined) extra.result = w.result;
      if (w.error) {
        extra.exception = { type: w.error.causeType, message: w.error.message };
        extra.exception_causes = [
          { type: w.error.causeType, message: w.error.message, traceback: w.error.traceback ?? null },
        ];
      }
      return { id, state: w.state, extra };
    });
    // One statement with data-modifying CTEs: atomic like a transaction, one round trip.
    const parts: string[] = [];
    const params: unknown[] = [s.storageId, s.tenantId, s.creatorId, s.deploymentFk];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (ops.length) {
      parts.push(`o AS (UPDATE operations o SET state = u->>'state', parameters = o.parameters || (u->'extra')
        FROM jsonb_array_elements(${param(JSON.stringify(ops))}::text::jsonb) AS u WHERE o.id = u->>'id' RETURNING 1)`);
    }
    if (b.nodeStates.size) {
      // Every write bumps the optimistic-lock version, as a PATCH /node-instances does.
      const states = JSON.stringify([...b.nodeStates].map(([id, state]) => ({ id, state })));
      parts.push(`n AS (UPDATE node_instances ni SET state = u->>'state', version = ni.version + 1
        FROM jsonb_array_elements(${param(states)}::text::jsonb) AS u, nodes nd
        WHERE ni.id = u->>'id' AND ni._tenant_id = $2 AND nd._storage_id = ni._node_fk AND nd._deployment_fk = $4
        RETURNING 1)`);
    }
    if (b.events.length) {
      parts.push(`e AS (INSERT INTO events (timestamp, _tenant_id, _creator_id, _execution_fk, message, event_type,
          operation, node_id, source_id, target_id, error_causes)
        SELECT (e->>'timestamp')::timestamptz, $2, $3, $1, e->>'message', e->>'event_type', e->>'operation',
          e->>'node_id', e->>'source_id', e->>'target_id', nullif(e->'error_causes', 'null'::jsonb)
        FROM jsonb_array_elements(${param(JSON.stringify(b.events))}::text::jsonb) WITH ORDINALITY AS x(e, k)
        ORDER BY k RETURNING 1)`);
    }
    if (b.logs.length) {
      parts.push(`l AS (INSERT INTO logs (timestamp, _tenant_id, _creator_id, _execution_fk, message, logger, level,
          operation, node_id, source_id, target_id)
        SELECT (e->>'timestamp')::timestamptz, $2, $3, $1, e->>'message', e->>'logger', e->>'level',
          e->>'operation', e->>'node_id', e->>'source_id', e->>'target_id'
        FROM jsonb_array_elements(${param(JSON.stringify(b.logs))}::text::jsonb) WITH ORDINALITY AS x(e, k)
        ORDER BY k RETURNING 1)`);
    }
    if (finished) {
      parts.push(`f AS (UPDATE executions SET finished_operations = finished_operations + ${param(finished)}::int
        WHERE _storage_id = $1 RETURNING 1)`);
    }
    if (!parts.length) return;
    await this.db.query(
      `WITH ${parts.join(',\n')} SELECT 1 WHERE $1::int IS NOT NULL AND $2::int IS NOT NULL AND $3::int IS NOT NULL
         AND ($4::int IS NULL OR $4::int IS NOT NULL)`,
      params,
    );
  }
}
