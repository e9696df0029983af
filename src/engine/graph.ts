// The persisted task graph (dsl-and-workflows.md §3.7): a flat list of operations with
// dependency ids. Subgraphs are flattened: a subgraph's "whole" is its root and sink ops.

import type { PlanOperation } from './plan-types.js';
import type { IdSource } from './ports.js';
import type { OperationState } from './states.js';

export type OperationType =
  /** a plugin operation, run by the worker (script plugin, stratus.noop, …) */
  | 'RemoteWorkflowTask'
  /** a manager-side step the worker carries out against its store ports (see `local_task`) */
  | 'LocalWorkflowTask'
  /** an operation with no implementation; builders drop these, kept for stored Cloudify graphs */
  | 'NOPLocalWorkflowTask'
  /** set a node instance's state; executed inline by the engine as a setNodeInstanceState command */
  | 'SetNodeInstanceStateTask'
  /** a workflow_node_event ("Creating node instance"); executed inline as an emitEvent command */
  | 'SendNodeEventTask';

export interface RelationshipTaskInfo {
  source_id: string;
  target_id: string;
  type: string;
  /** which side's operation this is; the op runs where that side's instance is hosted */
  side: 'source' | 'target';
}

export interface TaskKwargs {
  /** full operation name, e.g. cloudify.interfaces.lifecycle.create (remote tasks) */
  operation?: string;
  plugin?: string | null;
  /** plugin-side implementation, e.g. script_runner.tasks.run */
  implementation?: string | null;
  executor?: string | null;
  node_id?: string;
  node_instance_id?: string;
  inputs?: Record<string, unknown>;
  has_intrinsic_functions?: boolean;
  timeout?: number | null;
  timeout_recoverable?: boolean | null;
  relationship?: RelationshipTaskInfo;
  /** SetNodeInstanceStateTask */
  state?: string;
  /** SendNodeEventTask */
  event?: string;
  /** LocalWorkflowTask: name of the manager-side step, e.g. deployment_environment.create_nodes */
  local_task?: string;
  local_args?: Record<string, unknown>;
}

export interface OperationParameters {
  task_kwargs: TaskKwargs;
  /** human-readable label (Cloudify `info`) */
  info?: string;
  current_retries: number;
  /** −1 = unlimited */
  total_retries: number;
  /** seconds */
  retry_interval: number;
  send_task_events: boolean;
  /** name of the flattened subgraph, e.g. install_host_a1b2c3 */
  containing_subgraph?: string | null;
  /** a failure is logged and treated as done (uninstall with ignore_failure, heal) */
  ignore_failure?: boolean;
}

export interface OperationSpec {
  id: string;
  name: string;
  type: OperationType;
  dependencies: string[];
  parameters: OperationParameters;
}

/** A line the workflow function itself logs (Cloudify's `ctx.logger` in a workflow), in order. */
export interface WorkflowLog {
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface TasksGraph {
  name: string;
  operations: OperationSpec[];
  /** logged right after `workflow_started` on a first run (not stored, not repeated on resume) */
  logs?: WorkflowLog[];
}

/** A graph as read back from storage: each operation with its last persisted state. */
export interface StoredOperation extends OperationSpec {
  state: OperationState;
}

export interface StoredTasksGraph {
  name: string;
  operations: StoredOperation[];
}

/** A piece of a graph: its first ops (nothing inside depends on them... before) and last ops. */
export interface Fragment {
  roots: string[];
  sinks: string[];
}

export const EMPTY: Fragment = { roots: [], sinks: [] };
export const isEmpty = (f: Fragment) => f.roots.length === 0;

/** Builds a TasksGraph; ops are mutable until `build()`. */
export class GraphBuilder {
  private readonly ops: OperationSpec[] = [];
  private readonly byId = new Map<string, OperationSpec>();
  private readonly logs: WorkflowLog[] = [];

  constructor(
    readonly name: string,
    private readonly ids: IdSource,
  ) {}

  add(type: OperationType, name: string, parameters: OperationParameters): Fragment {
    const id = this.ids.next();
    if (this.byId.has(id)) throw new Error(`id source returned a duplicate id ${id}`);
    const op: OperationSpec = { id, name, type, dependencies: [], parameters };
    this.ops.push(op);
    this.byId.set(id, op);
    return { roots: [id], sinks: [id] };
  }

  /** Every root of `after` waits for every sink of `before`. */
  depend(after: Fragment, before: Fragment): void {
    for (const r of after.roots) {
      const deps = this.byId.get(r)!.dependencies;
      for (const s of before.sinks) if (s !== r && !deps.includes(s)) deps.push(s);
    }
  }

  /** Run the steps one after the other; empty steps vanish. */
  sequence(steps: Fragment[]): Fragment {
    const present = steps.filter((s) => !isEmpty(s));
    for (let i = 1; i < present.length; i++) this.depend(present[i], present[i - 1]);
    if (present.length === 0) return EMPTY;
    return { roots: present[0].roots, sinks: present[present.length - 1].sinks };
  }

  /** Run the steps side by side. */
  forkjoin(steps: Fragment[]): Fragment {
    return { roots: steps.flatMap((s) => s.roots), sinks: steps.flatMap((s) => s.sinks) };
  }

  get(id: string): OperationSpec | undefined {
    return this.byId.get(id);
  }

  /** A workflow-level log line (see TasksGraph.logs). */
  log(level: WorkflowLog['level'], message: string): void {
    this.logs.push({ level, message });
  }

  build(): TasksGraph {
    return { name: this.name, operations: this.ops, ...(this.logs.length ? { logs: this.logs } : {}) };
  }
}

export type { PlanOperation };
