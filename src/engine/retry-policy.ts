// The one gate for retry defaults. Cloudify's manager config uses task_retries 60 and
// task_retry_interval 15 s; an operation's own max_retries / retry_interval override them.

import type { PlanOperation } from './plan-types.js';

export interface RetryPolicyOptions {
  /** Retries after the first attempt; −1 = unlimited. @default 60 */
  maxRetries?: number;
  /** Delay between attempts in milliseconds. @default 15000 */
  retryIntervalMs?: number;
}

export interface RetryPolicy {
  readonly maxRetries: number;
  readonly retryIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxRetries: 60, retryIntervalMs: 15_000 });

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

export function compileRetryPolicy(opts: RetryPolicyOptions = {}): RetryPolicy {
  const maxRetries = opts.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries;
  const retryIntervalMs = opts.retryIntervalMs ?? DEFAULT_RETRY_POLICY.retryIntervalMs;
  if (!Number.isInteger(maxRetries) || maxRetries < -1) {
    throw new ConfigError('maxRetries', `must be an integer >= -1 (got ${maxRetries})`);
  }
  if (!Number.isFinite(retryIntervalMs) || retryIntervalMs < 0) {
    throw new ConfigError('retryIntervalMs', `must be a number >= 0 (got ${retryIntervalMs})`);
  }
  return Object.freeze({ maxRetries, retryIntervalMs });
}

/** The task-level limits stored in an operation's parameters: the plan's values win over the policy. */
export function taskRetries(op: PlanOperation | undefined, policy: RetryPolicy) {
  const total = op?.max_retries ?? policy.maxRetries;
  const intervalS = op?.retry_interval ?? policy.retryIntervalMs / 1000;
  return { total_retries: total, retry_interval: intervalS };
}

/** Whether a task that has already been retried `current` times may run again. */
export const mayRetry = (current: number, total: number) => total === -1 || current < total;
