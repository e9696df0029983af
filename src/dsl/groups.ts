// Groups, scaling policies and the scaling groups they produce (elements/policies.py, scalable.py).
import { logicError } from './errors.js';
import { CONTAINED_IN, scalableProperties } from './nodes.js';
import { type DslVersion, versionAtLeast } from './version.js';

export const SCALING_POLICY = 'cloudify.policies.scaling';

export function buildGroups(
  groups: Record<string, Record<string, any>>,
  policies: Record<string, Record<string, any>>,
  nodes: Record<string, any>[],
  version: DslVersion,
  hasPolicies: boolean,
): { groups: Record<string, any>; policies: Record<string, any>; scaling_groups: Record<string, any> } {
  if (hasPolicies && !versionAtLeast(version, [1, 3])) {
    throw logicError(
      102,
      `policies not supported in version ${version.raw}, it was added in cloudify_dsl_1_3`,
    );
  }
  const nodeNames = new Set(nodes.map((n) => n.name));
  for (const [g, def] of Object.entries(groups)) {
    if (nodeNames.has(g)) throw logicError(211, `Both a group and a node template are named '${g}'`);
    for (const m of def.members) {
      if (!nodeNames.has(m) && !(m in groups))
        throw logicError(203, `Member '${m}' of group '${g}' is neither a node template nor a group`);
    }
  }
  // Group cycles (a group reaching itself through member groups).
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (g: string, path: string[]) => {
    if (done.has(g)) return;
    if (visiting.has(g)) throw logicError(200, `Illegal group cycles found: [${JSON.stringify(path)}]`);
    visiting.add(g);
    for (const m of groups[g].members) if (m in groups) visit(m, [...path, m]);
    visiting.delete(g);
    done.add(g);
  };
  for (const g of Object.keys(groups)) visit(g, [g]);

  const scalingTargets = new Map<string, Record<string, any>>();
  const planPolicies: Record<string, any> = {};
  for (const [p, def] of Object.entries(policies)) {
    if (def.type !== SCALING_POLICY) {
      throw logicError(
        204,
        `'${def.type}' policy type is not implemented. Only '${SCALING_POLICY}' policy type is supported.`,
      );
    }
    if (def.targets.length === 0)
      throw logicError(206, `Policy '${p}' has no targets groups defined for it.`);
    for (const t of def.targets) {
      if (!(t in groups))
        throw logicError(205, `'${t}' is not a valid policy target. Only groups are valid policy targets.`);
    }
    const props = scalableProperties(def.properties ?? {}, `policies.${p}.properties`);
    for (const t of def.targets) scalingTargets.set(t, props);
    planPolicies[p] = { type: def.type, targets: def.targets, properties: props };
  }
  // A node or group may be a member of at most one scaling group.
  const owner = new Map<string, string[]>();
  for (const g of scalingTargets.keys())
    for (const m of groups[g].members) owner.set(m, [...(owner.get(m) ?? []), g]);
  for (const [m, gs] of owner) {
    if (gs.length > 1) {
      throw logicError(
        201,
        `Nodes and groups cannot be members in multiple groups, but member '${m}' belongs to the following multiple groups: ${JSON.stringify(gs)}`,
      );
    }
  }
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const containerOf = (n: string): string | undefined =>
    byName.get(n)?.relationships.find((r: any) => r.type_hierarchy.includes(CONTAINED_IN))?.target_id;
  const ancestors = (n: string): Set<string> => {
    const out = new Set<string>();
    for (let c = containerOf(n); c !== undefined && !out.has(c); c = containerOf(c)) out.add(c);
    return out;
  };
  const scaling_groups: Record<string, any> = {};
  for (const [g, props] of scalingTargets) {
    const members: string[] = groups[g].members;
    const kept = members.filter(
      (m) => !(nodeNames.has(m) && [...ancestors(m)].some((a) => members.includes(a))),
    );
    scaling_groups[g] = { members: kept, properties: props };
  }
  const planGroups: Record<string, any> = {};
  for (const [g, def] of Object.entries(groups))
    planGroups[g] = { members: def.members, policies: def.policies ?? {} };
  return { groups: planGroups, policies: planPolicies, scaling_groups };
}
