// The slice of Cloudify's deployment plan (dsl-and-workflows.md §1.15) that the engine reads.
// Field names are Cloudify's, so the DSL parser's output plugs in without a mapping layer.

/** One operation record of `node.operations` / `relationship.source_operations` (§1.8). */
export interface PlanOperation {
  /** `module.func` inside the plugin; empty or missing means a no-op. */
  operation?: string | null;
  plugin?: string | null;
  executor?: string | null;
  inputs?: Record<string, unknown>;
  has_intrinsic_functions?: boolean;
  /** −1 = unlimited; null/undefined = the workflow default. */
  max_retries?: number | null;
  /** Seconds; null/undefined = the workflow default. */
  retry_interval?: number | null;
  timeout?: number | null;
  timeout_recoverable?: boolean | null;
}

export type PlanOperations = Record<string, PlanOperation>;

export interface PlanRelationship {
  type: string;
  target_id: string;
  type_hierarchy?: string[];
  properties?: Record<string, unknown>;
  source_operations?: PlanOperations;
  target_operations?: PlanOperations;
}

export interface PlanNode {
  id: string;
  name?: string;
  type: string;
  type_hierarchy: string[];
  operations?: PlanOperations;
  relationships?: PlanRelationship[];
  host_id?: string | null;
  plugins?: unknown[];
  properties?: Record<string, unknown>;
}

export interface PlanNodeInstanceRelationship {
  target_id: string;
  target_name: string;
  type: string;
  type_hierarchy?: string[];
}

export interface PlanScalingGroupRef {
  name: string;
  id: string;
}

export interface PlanNodeInstance {
  id: string;
  node_id: string;
  name?: string;
  host_id?: string | null;
  relationships?: PlanNodeInstanceRelationship[];
  scaling_groups?: PlanScalingGroupRef[];
  /** Stored state; absent means `uninitialized`. */
  state?: string;
}

export interface PlanScalingGroup {
  members: string[];
  properties?: Record<string, unknown>;
}

export interface DeploymentPlan {
  nodes: PlanNode[];
  node_instances: PlanNodeInstance[];
  scaling_groups?: Record<string, PlanScalingGroup>;
  deployment_plugins_to_install?: unknown[];
}
