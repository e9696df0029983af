// Lifecycle string unions (rest-api.md §6.1, dsl-and-workflows.md §3.2–3.4).

/** Operation (task) states as stored in the `operations` table. */
export type OperationState =
  /** built, waiting for its dependencies */
  | 'pending'
  /** being handed to the worker (Cloudify persists it for remote tasks) */
  | 'sending'
  /** handed to the worker / plugin */
  | 'sent'
  /** the plugin reported that it started */
  | 'started'
  /** failed recoverably, waiting for its retry timer */
  | 'rescheduled'
  /** a reply was sent (Cloudify agent-side state; not produced by this engine) */
  | 'response-sent'
  /** finished successfully; never dispatched again, also not on resume */
  | 'succeeded'
  /** failed for good (non-recoverable or retries exhausted) */
  | 'failed';

export const IN_FLIGHT_STATES: ReadonlySet<OperationState> = new Set(['sending', 'sent', 'started']);

/** Execution statuses (rest-api.md §6.1). */
export type ExecutionStatus =
  | 'pending'
  | 'started'
  | 'cancelling'
  | 'force_cancelling'
  | 'kill_cancelling'
  | 'terminated'
  | 'failed'
  | 'cancelled'
  | 'queued'
  | 'scheduled';

/** The end states the engine can finish an execution with. */
export type ExecutionEndStatus = 'terminated' | 'failed' | 'cancelled';

/** Node-instance states in install/uninstall order. */
export type NodeInstanceState =
  | 'uninitialized'
  | 'initializing'
  | 'creating'
  | 'created'
  | 'configuring'
  | 'configured'
  | 'starting'
  | 'started'
  | 'stopping'
  | 'stopped'
  | 'deleting'
  | 'deleted';
