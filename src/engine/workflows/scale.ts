// scale (§3.5, scale_entity). Two steps, because new instance ids come from the deployment
// modification, which is outside the engine:
//   1. planScale(input) validates the parameters and says what to modify (entity, new count);
//   2. the worker starts the modification (store + DSL multi-instance), then builds the graph
//      with input.modification = { added, removed }: install `added` (names prefixed
//      `<entity>_`) with the rest intact, or uninstall `removed`; a final LocalWorkflowTask
//      `deployment_modification.finish` closes the modification. On failure the worker rolls the
//      modification back (rollback_if_failed).
import { WorkflowParameterError } from '../failures.js';
import type { WorkflowContext } from './context.js';
import { installInstances, uninstallInstances } from './lifecycle-order.js';

export interface ScalePlan {
  /** scaling group or node name actually scaled (the host's node with scale_compute) */
  entity: string;
  kind: 'group' | 'node';
  /** nodes whose instances change */
  nodeIds: string[];
  currentInstances: number;
  plannedInstances: number;
  delta: number;
  include_instances: string[] | null;
  exclude_instances: string[] | null;
}

export function planScale(ctx: WorkflowContext): ScalePlan {
  const p = ctx.params;
  let entity = p.scalable_entity_name as string;
  const delta = p.delta as number;
  const groups = ctx.input.plan.scaling_groups ?? {};
  let kind: ScalePlan['kind'];
  let nodeIds: string[];
  let current: number;
  if (groups[entity]) {
    kind = 'group';
    nodeIds = groups[entity].members.filter((m) => ctx.nodes.has(m));
    const groupIds = new Set<string>();
    for (const inst of ctx.instances.values()) {
      for (const g of inst.scaling_groups ?? []) if (g.name === entity) groupIds.add(g.id);
    }
    current = groupIds.size;
  } else {
    let node = ctx.nodes.get(entity);
    if (!node) {
      throw new WorkflowParameterError(
        `No scalable entity named ${entity} was found (neither a scaling group nor a node)`,
      );
    }
    if (p.scale_compute && node.host_id && node.host_id !== node.id) {
      const host = ctx.nodes.get(node.host_id);
      if (host) node = host;
    }
    entity = node.id;
    kind = 'node';
    nodeIds = [node.id];
    current = (ctx.instancesOfNode.get(node.id) ?? []).length;
  }
  const planned = current + delta;
  if (planned < 0) {
    throw new WorkflowParameterError(
      `Provided delta: ${delta} is illegal. current number of instances of entity ${entity} is ${current}`,
    );
  }
  const include = (p.include_instances as string[] | null) ?? null;
  const exclude = (p.exclude_instances as string[] | null) ?? null;
  if (delta >= 0 && (include?.length || exclude?.length)) {
    throw new WorkflowParameterError(
      'include_instances and exclude_instances can only be used when scaling in',
    );
  }
  return {
    entity,
    kind,
    nodeIds,
    currentInstances: current,
    plannedInstances: planned,
    delta,
    include_instances: include,
    exclude_instances: exclude,
  };
}

export function buildScale(ctx: WorkflowContext): void {
  const plan = planScale(ctx);
  if (plan.delta === 0) {
    ctx.b.log('info', 'delta parameter is 0, so no scaling will take place.');
    return;
  }
  const mod = ctx.input.modification;
  if (!mod) throw new WorkflowParameterError('scale: the deployment modification result is missing');
  ctx.b.log('info', `Deployment modification started. [modification_id=${mod.id ?? ''}]`);
  const prefix = `${plan.entity}_`;
  const ignoreFailure = ctx.params.ignore_failure === true;
  if (plan.delta > 0) {
    const added = new Set(mod.added.map((i) => i.id));
    const intact = [...ctx.instances.values()].filter((i) => !added.has(i.id));
    installInstances(ctx, mod.added, intact, prefix);
  } else {
    const removed = new Set(mod.removed.map((i) => i.id));
    const selected = mod.removed.map((i) => ctx.instances.get(i.id) ?? i);
    const intact = [...ctx.instances.values()].filter((i) => !removed.has(i.id));
    uninstallInstances(ctx, selected, intact, { ignoreFailure, prefix });
  }
  // finish waits for every op in the graph, including intact stubs
  const all = ctx.b.build().operations.map((o) => o.id);
  const finish = ctx.local(
    'deployment_modification.finish',
    { modification_id: mod.id ?? null, entity: plan.entity },
    `${prefix}scale`,
  );
  ctx.b.depend(finish, { roots: all, sinks: all });
}
