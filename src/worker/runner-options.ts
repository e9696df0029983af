// What runWorkflowExecution needs from the worker that calls it, and what it reports back.
import type { Logger } from 'pino';
import type { Clock } from '../engine/index.js';
import type { Db } from '../store/port.js';
import type { WorkerMetrics } from './metrics.js';
import type { Plugin } from './plugins/types.js';
import type { SecretsCipher } from './runtime-context.js';

/** Operations in flight per execution. @default 100 */
export const DEFAULT_MAX_IN_FLIGHT = 100;

export type EndStatus = 'terminated' | 'failed' | 'cancelled';

/** How the worker reports an execution's status: the manager's status machine, with its side effects. */
export interface ExecutionStatusPort {
  setStatus(executionId: string, status: 'started' | EndStatus, error?: string): Promise<void>;
}

export interface RunnerOptions {
  db: Db;
  status: ExecutionStatusPort;
  plugins: Map<string, Plugin>;
  /** Root of the file server: blueprints are under blueprints/<tenant>/<blueprint id>/. */
  resourcesDir: string;
  secrets?: SecretsCipher;
  log?: Logger;
  /** Workflow retry defaults (Cloudify's task_retries / task_retry_interval). */
  retry?: { maxRetries?: number; retryIntervalMs?: number };
  /**
   * Operations in flight per execution. Script processes are bounded separately (20 at once per
   * worker, see the script plugin), so in-process operations are not held back by them. @default 100
   */
  maxInFlight?: number;
  /** How often the execution's status is read for cancel requests. @default 1000 */
  cancelPollMs?: number;
  clock?: Clock;
  /** Runs in progress register here, so a stopping worker can abandon them (see Run.abandon). */
  active?: Set<{ readonly executionId: string; abandon(why?: string): void }>;
  /** Operations finished and the event lag (the metrics listener is on). */
  metrics?: WorkerMetrics;
}
