// The worker's store calls ride out a database outage: a statement or transaction that fails on a lost
// connection (refused, reset, terminated by a restart, a Patroni leader change, no leader found) is
// tried again with backoff until the retry window is spent, counted from its first failure. A blip
// (pg_ctl restart, a switchover) is invisible to the execution; an outage longer than the window
// raises StoreUnavailableError, on which the worker leaves the execution resumable and returns its
// message to the queue instead of recording anything (decision 31 in docs/decisions.md).
import { DbUnavailableError, leaderLost } from '../store/db-errors.js';
import type { Db } from '../store/port.js';

/** How long a store call keeps trying after its first connection failure. @default 45000 (Cloudify's client window) */
export const DEFAULT_STORE_RETRY_WINDOW_MS = 45_000;

/** The store stayed unreachable for the whole retry window. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(
    windowMs: number,
    readonly last: unknown,
  ) {
    super(
      `the database stayed unreachable for ${Math.round(windowMs / 1000)} s: ${(last as Error)?.message ?? String(last)}`,
    );
  }
}

/** A connection failure a later attempt may not meet (not a SQL error, not our own close). */
function connectionFailure(err: unknown): boolean {
  return err instanceof DbUnavailableError || leaderLost(err);
}

export interface StoreRetryOptions {
  windowMs?: number;
  /** Called once per failed attempt that will be tried again. */
  onRetry?: (err: unknown, attempt: number) => void;
}

/** Runs `fn`, again after each connection failure (100 ms doubling to 2 s) until the window is spent. */
export async function withStoreRetry<T>(fn: () => Promise<T>, o: StoreRetryOptions = {}): Promise<T> {
  const windowMs = o.windowMs ?? DEFAULT_STORE_RETRY_WINDOW_MS;
  let firstFailure: number | undefined;
  for (let attempt = 1, delay = 100; ; attempt++, delay = Math.min(delay * 2, 2000)) {
    try {
      return await fn();
    } catch (err) {
      if (!connectionFailure(err)) throw err;
      firstFailure ??= Date.now();
      const left = firstFailure + windowMs - Date.now();
      if (left <= 0) throw new StoreUnavailableError(windowMs, err);
      o.onRetry?.(err, attempt);
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
    }
  }
}

/**
 * The Db with every statement and transaction under withStoreRetry. A transaction is run again from
 * its start (its function must only issue statements); statements inside one are not retried alone.
 */
export function retryingDb(db: Db, o: StoreRetryOptions = {}): Db {
  return {
    driver: db.driver,
    query: <T>(sql: string, params?: unknown[]) => withStoreRetry(() => db.query<T>(sql, params), o),
    transaction: <T>(fn: (tx: Db) => Promise<T>) => withStoreRetry(() => db.transaction(fn), o),
    exec: (sql) => withStoreRetry(() => db.exec(sql), o),
    close: () => db.close(),
  };
}

/** A run given up without an end status (the worker stops, or another worker took the execution over). */
export class RunAbandonedError extends Error {
  override name = 'RunAbandonedError';
}

/**
 * The execution must be left as it is, resumable, and its message returned to the queue: the store stayed
 * down (a StoreUnavailableError anywhere in the cause chain), or the run was abandoned.
 */
export function leaveResumable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StoreUnavailableError || e instanceof RunAbandonedError) return true;
  }
  return false;
}
