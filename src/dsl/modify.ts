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
