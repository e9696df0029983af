// The hand-over to a worker: Cloudify's workflow message (rest-api.md §6.3), published on the workflow
// queue of the bus (in-process or RabbitMQ) with a fresh execution token.
import { type Bus, WORKFLOW_QUEUE } from '../bus/port.js';
import type { Db } from '../store/port.js';
import { type DispatchInfo, loadDispatchInfo } from '../store/repositories/executions.js';
import { type ExecutionDispatcher, issueExecutionToken } from './lifecycle.js';

/** Where the workflow's operations reach the REST service (the message's rest_host / rest_port). */
export interface RestEndpoint {
  restHost: string;
  restPort: number;
}

/** The body the manager publishes; the worker reads only `id`. */
export interface WorkflowMessage {
  id: string;
  execution_creator?: number;
  cloudify_task?: { kwargs?: Record<string, unknown> & { __cloudify_context?: Record<string, unknown> } };
}

export function workflowMessage(ex: DispatchInfo, token: string, rest: RestEndpoint): WorkflowMessage {
  const context: Record<string, unknown> = {
    type: 'workflow',
    task_id: ex.id,
    execution_id: ex.id,
    task_name: ex.is_system_workflow
      ? `cloudify_system_workflows.deployment_environment.${ex.workflow_id === 'create_deployment_environment' ? 'create' : 'delete'}`
      : `cloudify.plugins.workflows.${ex.workflow_id}`,
    workflow_id: ex.workflow_id,
    dry_run: ex.is_dry_run,
    is_system_workflow: ex.is_system_workflow,
    execution_creator_username: ex.username,
    task_target: 'cloudify.management',
    tenant: { name: ex.tenant },
    resume: ex.resume,
    wait_after_fail: 600,
    bypass_maintenance: false,
    execution_token: token,
    rest_token: token,
    rest_host: [rest.restHost],
    rest_port: rest.restPort,
  };
  if (ex.deployment_id) {
    Object.assign(context, {
      deployment_id: ex.deployment_id,
      deployment_display_name: ex.display_name ?? ex.deployment_id,
      blueprint_id: ex.blueprint_id,
      runtime_only_evaluation: ex.runtime_only_evaluation ?? false,
    });
  }
  return {
    id: ex.id,
    execution_creator: ex._creator_id,
    cloudify_task: { kwargs: { ...(ex.parameters ?? {}), __cloudify_context: context } },
  };
}

/** Publishes the workflow message of each execution handed over. */
export function busDispatcher(db: Db, bus: Bus, rest: RestEndpoint): ExecutionDispatcher {
  return {
    async dispatch(executionId) {
      const ex = await loadDispatchInfo(db, executionId);
      if (!ex) return;
      const token = await issueExecutionToken(db, executionId);
      await bus.publish(WORKFLOW_QUEUE, workflowMessage(ex, token, rest));
    },
  };
}
