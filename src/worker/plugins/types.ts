// The in-process plugin interface: a plugin is a named set of typed TypeScript operations. The
// worker resolves a RemoteWorkflowTask's `plugin` + `implementation` to one of them, hands it an
// OperationContext, and turns what it throws into an OperationFailure (engine/failures.ts):
// NonRecoverableError fails at once, OperationRetry/RecoverableError and anything else are retried.
import type { RelationshipTaskInfo } from '../../engine/index.js';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** A node and one of its instances as an operation sees them (ctx node / ctx instance). */
export interface NodeView {
  id: string;
  name: string;
  type: string;
  type_hierarchy: string[];
  properties: Record<string, unknown>;
}

export interface InstanceView {
  id: string;
  node_id: string;
  host_id: string | null;
  relationships: { target_id: string; target_name: string; type: string }[];
  /** Mutable; written back under the version check when the operation ends (or on `update()`). */
  runtime_properties: Record<string, unknown>;
  /** Mark runtime_properties changed. */
  dirty: boolean;
  version: number;
}

export interface EntityView {
  node: NodeView;
  instance: InstanceView;
}

export interface OperationContext {
  tenantName: string;
  executionId: string;
  workflowId: string;
  deploymentId: string;
  blueprintId: string;
  /** Root of the blueprint's extracted files (scripts, resources). */
  blueprintDir: string;
  operation: {
    id: string;
    /** full name, e.g. cloudify.interfaces.lifecycle.create */
    name: string;
    retryNumber: number;
    maxRetries: number;
  };
  plugin: string | null;
  implementation: string;
  /** Evaluated operation inputs (intrinsic functions resolved). */
  inputs: Record<string, unknown>;
  /** The instance the op runs on: self for node ops, source/target for relationship ops. */
  self?: EntityView;
  source?: EntityView;
  target?: EntityView;
  relationship?: RelationshipTaskInfo;
  /** `timeout` of the operation in ms, if any. */
  timeoutMs?: number;
  timeoutRecoverable: boolean;
  /** Aborted when the execution is force-cancelled or killed. */
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
  /** Persist runtime properties of self/source/target now (ctx instance update). */
  updateInstances(): Promise<void>;
}

export type OperationFn = (ctx: OperationContext) => Promise<unknown>;

export interface Plugin {
  /** plugin name as in the blueprint's `plugins:` section (`stratus`, `script`) */
  name: string;
  /** task name (the part after the plugin name, e.g. `noop`) → implementation */
  operations: Record<string, OperationFn>;
  /** The plugin never reads node/instance views (skip loading them per operation). */
  withoutInstances?: boolean;
}
