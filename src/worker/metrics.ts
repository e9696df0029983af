// The worker's own Prometheus metrics. Executions per status and the queue depth are read from the
// database when Prometheus scrapes (one grouped query shared by both gauges); operations finished and
// the event lag are counted as they happen, at the cost of a counter increment and a histogram
// observation. The entry assembles the registry and the 127.0.0.1 listener (entry/metrics.ts).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { OperationState } from '../engine/index.js';
import { EXECUTION_STATUSES } from '../executions/status.js';
import type { Db } from '../store/port.js';
import { countByStatus } from '../store/repositories/executions.js';

export type OperationResult = 'succeeded' | 'failed' | 'retried';

export interface WorkerMetrics {
  /** An operation's new state: counts it when it finished (succeeded, failed) or was rescheduled. */
  operationState(state: OperationState): void;
  /** Events and logs just committed, made at these times (ms since the epoch). */
  eventsStored(madeAtMs: readonly number[]): void;
}

/** A scrape reads the counts once even though two gauges show them; a failed read is not kept. */
function sharedCounts(db: Db, maxAgeMs: number) {
  let last: { at: number; counts: Promise<Map<string, number>> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > maxAgeMs) {
      const counts = countByStatus(db);
      const entry = { at: now, counts };
      last = entry;
      counts.catch(() => {
        if (last === entry) last = undefined;
      });
    }
    return last.counts;
  };
}

/** Registers the worker's metrics in `registry`; `onError` hears a failed database read at scrape time. */
export function workerMetrics(registry: Registry, db: Db, onError?: (err: unknown) => void): WorkerMetrics {
  const counts = sharedCounts(db, 1000);
  // A failed read shows no figure rather than a stale one, and the scrape still answers.
  const read = async (set: (c: Map<string, number>) => void, unknown: () => void) => {
    try {
      set(await counts());
    } catch (err) {
      unknown();
      onError?.(err);
    }
  };
  new Gauge({
    name: 'stratus_executions',
    help: 'Executions in the database by status (every tenant), read at scrape time',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const set = (c: Map<string, number>) => {
        for (const s of new Set([...EXECUTION_STATUSES, ...c.keys()])) this.set({ status: s }, c.get(s) ?? 0);
      };
      await read(set, () => this.reset());
    },
  });
  new Gauge({
    name: 'stratus_execution_queue_depth',
    help: 'Executions waiting as queued (max_concurrent_workflows or a busy deployment), read at scrape time',
    registers: [registry],
    async collect() {
      await read(
        (c) => this.set(c.get('queued') ?? 0),
        () => this.set(Number.NaN),
      );
    },
  });
  const operations = new Counter({
    name: 'stratus_operations_total',
    help: 'Operations this worker finished (succeeded, failed) or rescheduled for a retry (retried)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  // Every result from zero, so rate() has a series before the first operation ends.
  for (const result of ['succeeded', 'failed', 'retried']) operations.inc({ result }, 0);
  const byState: Partial<Record<OperationState, Counter.Internal>> = {
    succeeded: operations.labels('succeeded'),
    failed: operations.labels('failed'),
    rescheduled: operations.labels('retried'),
  };
  const lag = new Histogram({
    name: 'stratus_event_lag_seconds',
    help: 'Time from an event or log being made by the workflow to its row being committed',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const lagChild = lag.labels();
  return {
    operationState(state) {
      byState[state]?.inc();
    },
    eventsStored(madeAtMs) {
      const now = Date.now();
      for (const t of madeAtMs) lagChild.observe(Math.max(0, now - t) / 1000);
    },
  };
}
