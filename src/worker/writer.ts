// Group commit for one execution's writes. The runner records operation states, node-instance
// states, events and logs as the engine emits them; `flush()` writes everything recorded so far in
// one transaction (later states of the same operation/instance replace earlier ones). The runner
// awaits a flush before it dispatches an operation, so an operation's `sent` state is durable before
// the plugin runs, and one flush serves every command of a step (and of steps queued meanwhile).
import type { EngineEvent, OperationFailure, OperationState, WorkflowLog } from '../engine/index.js';
import type { Db } from '../store/port.js';
import type { WorkerMetrics } from './metrics.js';
import {
  type EventRow,
  type ExecutionScope,
  type LogRow,
  writeProgress,
} from '../store/repositories/progress.js';

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
  private events: EventRow[] = [];
  private logs: LogRow[] = [];
  private startLogs: LogRecord[] = [];
  /** When each recorded event and log was made (only with metrics: the event lag). */
  private madeAt: number[] = [];
  private finishedIds = new Set<string>();
  private inflight: Promise<void> | undefined;
  readonly clock = new MonotonicClock();

  constructor(
    private readonly db: Db,
    private readonly scope: ExecutionScope,
    /** Operations already in an end state (restored graph): not counted again. */
    alreadyFinished: Iterable<string> = [],
    private readonly metrics?: Pick<WorkerMetrics, 'eventsStored'>,
  ) {
    for (const id of alreadyFinished) this.finishedIds.add(id);
  }

  opState(id: string, w: OpWrite): void {
    this.ops.set(id, w);
  }

  nodeState(instanceId: string, state: string): void {
    this.nodeStates.set(instanceId, state);
  }

  /** The workflow's own log lines, written right after its `workflow_started` event. */
  logAfterStart(logs: WorkflowLog[], logger: string): void {
    this.startLogs = logs.map((l) => ({ ...l, logger }));
  }

  event(e: EngineEvent): void {
    if (this.metrics) this.madeAt.push(Date.now());
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
    if (e.event_type === 'workflow_started') {
      for (const l of this.startLogs.splice(0)) this.log(l);
    }
  }

  log(l: LogRecord): void {
    if (this.metrics) this.madeAt.push(Date.now());
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
      const madeAt = this.madeAt;
      this.ops = new Map();
      this.nodeStates = new Map();
      this.events = [];
      this.logs = [];
      this.madeAt = [];
      const t0 = performance.now();
      this.inflight = this.write(batch, madeAt).finally(() => {
        WRITER_STATS.flushes++;
        WRITER_STATS.ms += performance.now() - t0;
        this.inflight = undefined;
      });
      await this.inflight;
    }
  }

  private async write(
    b: {
      ops: Map<string, OpWrite>;
      nodeStates: Map<string, string>;
      events: EventRow[];
      logs: LogRow[];
    },
    madeAt: number[],
  ): Promise<void> {
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
    const nodeStates = [...b.nodeStates].map(([id, state]) => ({ id, state }));
    await writeProgress(this.db, this.scope, { ops, nodeStates, events: b.events, logs: b.logs, finished });
    if (madeAt.length) this.metrics?.eventsStored(madeAt);
  }
}
