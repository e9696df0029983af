// Scale out / in (multi_instance.modify_deployment), simplified: the instance graph is rebuilt with
// the new counts, existing instances keep their ids in order, and the difference is reported.
import { expandInstances, type IdGenerator, type NodeInstance, randomIds } from './instances.js';
import type { Plan } from './parser.js';

export interface Modification {
  /** node or scaling-group name → new instance count */
  [entity: string]: { instances: number };
}

export interface ModifyResult {
  node_instances: NodeInstance[];
  added_and_related: NodeInstance[];
  removed_and_related: NodeInstance[];
}

export function modifyDeployment(
  plan: Plan,
  existing: NodeInstance[],
  modified: Modification,
  idGenerator: IdGenerator = randomIds,
): ModifyResult {
  const p: Plan = {
    ...plan,
    nodes: plan.nodes.map((n: any) => structuredClone(n)),
    scaling_groups: structuredClone(plan.scaling_groups ?? {}),
  };
  for (const [name, { instances }] of Object.entries(modified)) {
    const target =
      p.scaling_groups[name]?.properties ??
      p.nodes.find((n: any) => n.name === name)?.capabilities.scalable.properties;
    if (target) target.planned_instances = instances;
  }
  // Reuse existing ids per prefix first (expansion order is deterministic), then fresh ones.
  const pool = new Map<string, string[]>();
  for (const i of existing) pool.set(i.node_id, [...(pool.get(i.node_id) ?? []), i.id]);
  for (const i of existing)
    for (const g of i.scaling_groups ?? []) {
      const ids = pool.get(g.name) ?? [];
      if (!ids.includes(g.id)) pool.set(g.name, [...ids, g.id]);
    }
  const ids: IdGenerator = (prefix) => pool.get(prefix)?.shift() ?? idGenerator(prefix);
  const all = expandInstances(p, ids, new Set());
  const before = new Set(existing.map((i) => i.id));
  const after = new Set(all.map((i) => i.id));
  return {
    node_instances: all,
    added_and_related: all.filter((i) => !before.has(i.id)),
    removed_and_related: existing.filter((i) => !after.has(i.id)),
  };
}

/** A node instance as a deployment stores it: what modifyDeployment needs of it. */
export interface StoredInstance {
  id: string;
  node_id: string;
  host_id?: string | null;
  relationships: unknown;
  scaling_groups: unknown;
}

/**
 * modifyDeployment from a deployment's stored state. The prepared `plan` first takes the current counts
 * (its scalable nodes from `counts` by node id, its scaling groups from the stored groups'
 * planned_instances; the plan is changed in place), then the stored instances keep their ids.
 */
export function modifyStored(
  plan: Plan,
  stored: { instances: StoredInstance[]; counts: Map<string, number>; scalingGroups?: Record<string, any> },
  modified: Modification,
): ModifyResult {
  for (const n of (plan as any).nodes) {
    const props = n.capabilities?.scalable?.properties;
    const id = n.id ?? n.name;
    if (props && stored.counts.has(id)) props.planned_instances = stored.counts.get(id);
  }
  const groups = (plan as any).scaling_groups;
  for (const [g, def] of Object.entries<any>(stored.scalingGroups ?? {})) {
    if (groups?.[g] && def?.properties?.planned_instances !== undefined) {
      groups[g].properties.planned_instances = def.properties.planned_instances;
    }
  }
  const existing = stored.instances.map((i) => ({
    id: i.id,
    name: i.node_id,
    node_id: i.node_id,
    host_id: i.host_id ?? undefined,
    relationships: i.relationships,
    scaling_groups: i.scaling_groups,
  })) as unknown as NodeInstance[];
  return modifyDeployment(plan, existing, modified);
}
