// Cloudify-shaped events (dsl-and-workflows.md §3.8). The engine only builds them; the worker
// stores them through the events API.

import type { OperationSpec } from './graph.js';

export type WorkflowEventType =
  | 'workflow_started'
  | 'workflow_succeeded'
  | 'workflow_failed'
  | 'workflow_cancelled';
export type TaskEventType =
  | 'sending_task'
  | 'task_started'
  | 'task_succeeded'
  | 'task_failed'
  | 'task_rescheduled';
export type EventType = WorkflowEventType | TaskEventType | 'workflow_node_event';

export interface ErrorCause {
  message: string;
  type: string;
  traceback?: string;
}

export interface EngineEvent {
  type: 'cloudify_event';
  event_type: EventType;
  /** ISO time from the injected clock */
  timestamp: string;
  message: { text: string; arguments: null };
  context: {
    deployment_id: string;
    execution_id: string;
    workflow_id: string;
    node_id?: string;
    node_name?: string;
    node_instance_id?: string;
    operation?: string;
    task_id?: string;
    task_name?: string;
    plugin?: string | null;
    task_current_retries?: number;
    task_total_retries?: number;
    source_id?: string;
    target_id?: string;
  };
  error_causes?: ErrorCause[];
}

export interface ExecutionRef {
  executionId: string;
  workflowId: string;
  deploymentId: string;
}

export function workflowEvent(
  ref: ExecutionRef,
  type: WorkflowEventType,
  text: string,
  now: number,
  causes?: ErrorCause[],
): EngineEvent {
  return {
    type: 'cloudify_event',
    event_type: type,
    timestamp: new Date(now).toISOString(),
    message: { text, arguments: null },
    context: { deployment_id: ref.deploymentId, execution_id: ref.executionId, workflow_id: ref.workflowId },
    ...(causes ? { error_causes: causes } : {}),
  };
}

export function opEvent(
  ref: ExecutionRef,
  op: OperationSpec,
  type: TaskEventType | 'workflow_node_event',
  text: string,
  now: number,
  retries: number,
  causes?: ErrorCause[],
): EngineEvent {
  const k = op.parameters.task_kwargs;
  const ctx: EngineEvent['context'] = {
    deployment_id: ref.deploymentId,
    execution_id: ref.executionId,
    workflow_id: ref.workflowId,
  };
  if (k.node_id) {
    ctx.node_id = k.node_id;
    ctx.node_name = k.node_id;
  }
  if (k.node_instance_id) ctx.node_instance_id = k.node_instance_id;
  if (type !== 'workflow_node_event') {
    ctx.task_id = op.id;
    ctx.task_name = k.implementation ?? k.local_task ?? op.name;
    if (k.operation) ctx.operation = k.operation;
    if (k.plugin !== undefined) ctx.plugin = k.plugin;
    ctx.task_current_retries = retries;
    ctx.task_total_retries = op.parameters.total_retries;
  }
  if (k.relationship) {
    ctx.source_id = k.relationship.source_id;
    ctx.target_id = k.relationship.target_id;
  }
  return {
    type: 'cloudify_event',
    event_type: type,
    timestamp: new Date(now).toISOString(),
    message: { text, arguments: null },
    context: ctx,
    ...(causes ? { error_causes: causes } : {}),
  };
}
