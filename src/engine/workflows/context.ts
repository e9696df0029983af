// What a graph builder works with: the deployment's nodes and instances, the parameters, and
// helpers that add Cloudify-shaped tasks to the graph (remote op, set state, node event).

import { WorkflowParameterError } from '../failures.js';
import { EMPTY, type Fragment, GraphBuilder, type OperationParameters, type TaskKwargs } from '../graph.js';
import type {
  PlanNode,
  PlanNodeInstance,
  PlanNodeInstanceRelationship,
  PlanOperation,
  PlanRelationship,
  PlanScalingGroup,
} from '../plan-types.js';
import type { IdSource } from '../ports.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, taskRetries } from '../retry-policy.js';

/** Instances added/removed by a deployment modification (scale); computed outside the engine. */
export interface ScaleModification {
  id?: string;
  added: PlanNodeInstance[];
  removed: PlanNodeInstance[];
}

export interface WorkflowInput {
  workflowId: string;
  executionId: string;
  deploymentId: string;
  plan: {
    nodes: PlanNode[];
    node_instances: PlanNodeInstance[];
    scaling_groups?: Record<string, PlanScalingGroup>;
    deployment_plugins_to_install?: unknown[];
  };
  parameters?: Record<string, unknown>;
  /** compiled workflow defaults (max_retries 60, retry_interval 15 s unless configured) */
  retryPolicy?: RetryPolicy;
  ids: IdSource;
  /** scale only: the result of the deployment modification the worker started */
  modification?: ScaleModification;
}

export const CONTAINED_IN = 'cloudify.relationships.contained_in';
export const DEPENDS_ON_LIFECYCLE_OP = 'cloudify.relationships.depends_on_lifecycle_operation';
export const LIFECYCLE = 'cloudify.interfaces.lifecycle';
export const REL_LIFECYCLE = 'cloudify.interfaces.relationship_lifecycle';

export const hasImpl = (op: PlanOperation | undefined) => !!op?.operation;

export class WorkflowContext {
  readonly nodes = new Map<string, PlanNode>();
  readonly instances = new Map<string, PlanNodeInstance>();
  readonly instancesOfNode = new Map<string, PlanNodeInstance[]>();
  readonly b: GraphBuilder;
  readonly policy: RetryPolicy;
  params: Record<string, unknown>;

  constructor(
    readonly input: WorkflowInput,
    graphName: string,
    params: Record<string, unknown>,
  ) {
    for (const n of input.plan.nodes) this.nodes.set(n.id, n);
    for (const inst of input.plan.node_instances) this.addInstance(inst);
    for (const inst of input.modification?.added ?? []) this.addInstance(inst);
    this.b = new GraphBuilder(graphName, input.ids);
    this.policy = input.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.params = params;
  }

  private addInstance(inst: PlanNodeInstance) {
    if (this.instances.has(inst.id)) return;
    this.instances.set(inst.id, inst);
    const list = this.instancesOfNode.get(inst.node_id) ?? [];
    list.push(inst);
    this.instancesOfNode.set(inst.node_id, list);
  }

  node(inst: PlanNodeInstance): PlanNode {
    const n = this.nodes.get(inst.node_id);
    if (!n)
      throw new WorkflowParameterError(`Node instance ${inst.id} refers to unknown node ${inst.node_id}`);
    return n;
  }

  /** The node-level relationship behind an instance relationship (same target node, same type). */
  nodeRelationship(inst: PlanNodeInstance, rel: PlanNodeInstanceRelationship): PlanRelationship | undefined {
    const rels = this.node(inst).relationships ?? [];
    return (
      rels.find((r) => r.target_id === rel.target_name && r.type === rel.type) ??
      rels.find((r) => r.target_id === rel.target_name)
    );
  }

  relTypes(inst: PlanNodeInstance, rel: PlanNodeInstanceRelationship): string[] {
    return rel.type_hierarchy ?? this.nodeRelationship(inst, rel)?.type_hierarchy ?? [rel.type];
  }

  /** Node instances filtered like Cloudify's _filter_node_instances (all filters ANDed). */
  filterInstances(p: Record<string, unknown>): PlanNodeInstance[] {
    const nodeIds = (p.node_ids as string[] | undefined) ?? [];
    const instIds = (p.node_instance_ids as string[] | undefined) ?? [];
    const types = (p.type_names as string[] | undefined) ?? [];
    for (const id of nodeIds) {
      if (!this.nodes.has(id))
        throw new WorkflowParameterError(`Node ${id} does not exist in this deployment`);
    }
    for (const id of instIds) {
      if (!this.instances.has(id)) {
        throw new WorkflowParameterError(`Node instance ${id} does not exist in this deployment`);
      }
    }
    return [...this.instances.values()].filter((inst) => {
      const node = this.node(inst);
      if (nodeIds.length && !nodeIds.includes(node.id)) return false;
      if (instIds.length && !instIds.includes(inst.id)) return false;
      if (types.length && !types.some((t) => node.type_hierarchy.includes(t))) return false;
      return true;
    });
  }

  private params_(
    op: PlanOperation | undefined,
    kwargs: TaskKwargs,
    subgraph: string,
    extra: Partial<OperationParameters> = {},
  ): OperationParameters {
    return {
      task_kwargs: kwargs,
      current_retries: 0,
      ...taskRetries(op, this.policy),
      send_task_events: false,
      containing_subgraph: subgraph,
      ...extra,
    };
  }

  /**
   * A plugin operation on a node instance (or a relationship side). Returns EMPTY for a no-op,
   * so NOP tasks never reach the stored graph (Cloudify's `optimize`).
   */
  remote(
    inst: PlanNodeInstance,
    opName: string,
    op: PlanOperation | undefined,
    subgraph: string,
    opts: {
      inputs?: Record<string, unknown>;
      relationship?: TaskKwargs['relationship'];
      ignoreFailure?: boolean;
    } = {},
  ): Fragment {
    if (!hasImpl(op)) return EMPTY;
    const kwargs: TaskKwargs = {
      operation: opName,
      plugin: op!.plugin ?? null,
      implementation: op!.operation,
      executor: op!.executor ?? null,
      node_id: inst.node_id,
      node_instance_id: inst.id,
      inputs: opts.inputs ?? op!.inputs ?? {},
      has_intrinsic_functions: op!.has_intrinsic_functions ?? false,
      timeout: op!.timeout ?? null,
      timeout_recoverable: op!.timeout_recoverable ?? null,
    };
    if (opts.relationship) kwargs.relationship = opts.relationship;
    const label = opts.relationship
      ? `${opts.relationship.source_id}->${opts.relationship.target_id}.${opName}[${opts.relationship.side}]`
      : `${inst.id}.${opName}`;
    return this.b.add(
      'RemoteWorkflowTask',
      opName,
      this.params_(op, kwargs, subgraph, {
        info: label,
        send_task_events: true,
        ...(opts.ignoreFailure ? { ignore_failure: true } : {}),
      }),
    );
  }

  /** A lifecycle operation of the instance's node, by full name. */
  lifecycle(inst: PlanNodeInstance, opName: string, subgraph: string, ignoreFailure = false): Fragment {
    return this.remote(inst, opName, this.node(inst).operations?.[opName], subgraph, { ignoreFailure });
  }

  setState(inst: PlanNodeInstance, state: string, subgraph: string): Fragment {
    return this.b.add(
      'SetNodeInstanceStateTask',
      'set_state',
      this.params_(undefined, { node_instance_id: inst.id, node_id: inst.node_id, state }, subgraph, {
        info: `${inst.id} -> ${state}`,
        total_retries: 0,
      }),
    );
  }

  event(inst: PlanNodeInstance, text: string, subgraph: string): Fragment {
    return this.b.add(
      'SendNodeEventTask',
      'send_event',
      this.params_(undefined, { node_instance_id: inst.id, node_id: inst.node_id, event: text }, subgraph, {
        info: `${inst.id}: ${text}`,
        total_retries: 0,
      }),
    );
  }

  local(task: string, args: Record<string, unknown>, subgraph: string): Fragment {
    return this.b.add(
      'LocalWorkflowTask',
      task,
      this.params_(undefined, { local_task: task, local_args: args }, subgraph, { info: task }),
    );
  }
}
