// Everything an operation can throw is normalised here once, into data that carries the retry
// decision (dsl-and-workflows.md §3.6): NonRecoverableError fails at once, OperationRetry
// (`ctx retry-operation`) retries after its delay, anything else is a RecoverableError.

export interface OperationFailure {
  /** false = fail the task now, no retries. */
  recoverable: boolean;
  /** Delay asked for by the plugin (retry-operation / RecoverableError retry_after), overrides retry_interval. */
  retryAfterMs?: number;
  /** Cloudify exception class name: NonRecoverableError, RecoverableError, OperationRetry, TimeoutError… */
  causeType: string;
  message: string;
  traceback?: string;
}

/** Thrown by a plugin to fail without retries (script plugin: `ctx abort-operation`). */
export class NonRecoverableError extends Error {
  override name = 'NonRecoverableError';
}

/** Thrown by a plugin to be retried, optionally after `retryAfterMs`. */
export class RecoverableError extends Error {
  override name = 'RecoverableError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** `ctx retry-operation`: always retried after `retryAfterMs`, reported as task_rescheduled. */
export class OperationRetry extends Error {
  override name = 'OperationRetry';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const isFailure = (v: unknown): v is OperationFailure =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as OperationFailure).recoverable === 'boolean' &&
  typeof (v as OperationFailure).causeType === 'string';

export function toOperationFailure(err: unknown): OperationFailure {
  if (isFailure(err)) return err;
  if (err instanceof Error) {
    // An error may carry its own traceback (a script's, from its stderr): the user's, kept instead of ours.
    const own = 'traceback' in err && typeof err.traceback === 'string' ? err.traceback : undefined;
    const base = { message: err.message, traceback: own ?? err.stack };
    const after = (err as { retryAfterMs?: unknown }).retryAfterMs;
    const retryAfterMs = typeof after === 'number' && after >= 0 ? after : undefined;
    if (err.name === 'NonRecoverableError') return { ...base, recoverable: false, causeType: err.name };
    if (err.name === 'OperationRetry' || err.name === 'RecoverableError') {
      return { ...base, recoverable: true, causeType: err.name, retryAfterMs };
    }
    return { ...base, recoverable: true, causeType: err.name || 'Error', retryAfterMs };
  }
  return { recoverable: true, causeType: 'Error', message: typeof err === 'string' ? err : String(err) };
}

/** An error in the workflow's input (parameters, unknown node or operation): the execution fails before any task runs. */
export class WorkflowParameterError extends Error {
  override name = 'WorkflowParameterError';
}
