// Groups, scaling policies and the scaling groups they produce (elements/policies.py, scalable.py).
import { logicError } from './errors.js';
import { CONTAINED_IN, scalableProperties } from './nodes.js';
import { type DslVersion, versionAtLeast } from './version.js';

export const SCALING_POLICY = 'cloudify.policies.scaling';

type Defs = Record<string, Record<string, any>>;

export function buildGroups(
  groups: Defs,
  policies: Defs,
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
  checkGroups(groups, nodeNames);
  const { scalingTargets, planPolicies } = scalingPolicies(policies, groups);
  const owner = scalingOwners(scalingTargets, groups);
  const chains = containmentChains(nodes, owner);
  checkSharedGroupContainment(scalingTargets, groups, nodeNames, chains.groupOf, chains.nodeChain);
  const scaling_groups: Record<string, any> = {};
  for (const [g, props] of scalingTargets)
    scaling_groups[g] = { members: [...groups[g].members], properties: props };
  removeContainedMembers(scaling_groups, owner, nodeNames, chains);
  const planGroups: Record<string, any> = {};
  for (const [g, def] of Object.entries(groups))
    planGroups[g] = { members: def.members, policies: def.policies ?? {} };
  return { groups: planGroups, policies: planPolicies, scaling_groups };
}

/** Group names and members, and no group reaching itself through member groups. */
function checkGroups(groups: Defs, nodeNames: Set<string>): void {
  for (const [g, def] of Object.entries(groups)) {
    if (nodeNames.has(g)) throw logicError(211, `Both a group and a node template are named '${g}'`);
    for (const m of def.members) {
      if (!nodeNames.has(m) && !(m in groups))
        throw logicError(40, `Member '${m}' of group '${g}' does not match any defined node`);
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
}

/** The policies (scaling ones only) and the scalable properties of each group they target. */
function scalingPolicies(
  policies: Defs,
  groups: Defs,
): { scalingTargets: Map<string, Record<string, any>>; planPolicies: Record<string, any> } {
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
  return { scalingTargets, planPolicies };
}

/** Each member of a scaling group → its scaling group; at most one (error 201). */
function scalingOwners(scalingTargets: Map<string, unknown>, groups: Defs): Map<string, string[]> {
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
  return owner;
}

interface Chains {
  groupOf: Map<string, string>;
  /** [n, its container, that one's container, …] */
  nodeChain: (n: string) => string[];
  /** [m, its scaling group, that group's group, …] */
  groupChain: (m: string) => string[];
}

function containmentChains(nodes: Record<string, any>[], owner: Map<string, string[]>): Chains {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const containerOf = (n: string): string | undefined =>
    byName.get(n)?.relationships.find((r: any) => r.type_hierarchy.includes(CONTAINED_IN))?.target_id;
  const nodeChain = (n: string): string[] => {
    const out = [n];
    for (let c = containerOf(n); c !== undefined && !out.includes(c); c = containerOf(c)) out.push(c);
    return out;
  };
  const groupOf = new Map<string, string>();
  for (const [m, gs] of owner) groupOf.set(m, gs[0]);
  const groupChain = (m: string): string[] => {
    const out = [m];
    for (let g = groupOf.get(m); g !== undefined && !out.includes(g); g = groupOf.get(g)) out.push(g);
    return out;
  };
  return { groupOf, nodeChain, groupChain };
}

// A member node sharing a scaling group with a node that (recursively) contains it is dropped from the
// innermost shared group: the node itself when it is a direct member there, else its own branch (the
// group under the shared one) — _remove_contained_nodes_from_scaling_groups.
function removeContainedMembers(
  scaling_groups: Record<string, any>,
  owner: Map<string, string[]>,
  nodeNames: Set<string>,
  { groupOf, nodeChain, groupChain }: Chains,
): void {
  for (const member of owner.keys()) {
    if (!nodeNames.has(member)) continue;
    const memberGroups = groupChain(member);
    for (const node of nodeChain(member).slice(1)) {
      if (!owner.has(node)) continue;
      const nodeGroups = new Set(groupChain(node));
      const shared = memberGroups.find((g) => g !== member && nodeGroups.has(g));
      if (shared === undefined) continue;
      let removed: string;
      if (groupOf.get(member) === shared) removed = member;
      else {
        const branch = [...memberGroups].reverse().find((g) => !nodeGroups.has(g));
        if (branch === undefined) continue;
        removed = branch;
      }
      const ms: string[] = scaling_groups[shared].members;
      const i = ms.indexOf(removed);
      if (i >= 0) ms.splice(i, 1);
    }
  }
}

// Every pair of nodes (recursively) in one scaling group must be contained in a shared node, or one must
// contain the other, or an ancestor of one must form such a pair with the other (error 202;
// _validate_no_contained_in_shares_group_with_non_contained_in).
function checkSharedGroupContainment(
  scalingTargets: Map<string, unknown>,
  groups: Record<string, Record<string, any>>,
  nodeNames: Set<string>,
  groupOf: Map<string, string>,
  nodeChain: (n: string) => string[],
): void {
  const groupNames = new Set<string>();
  for (const g of scalingTargets.keys()) {
    groupNames.add(g);
    for (const m of groups[g].members) if (!nodeNames.has(m)) groupNames.add(m);
  }
  // Recursive node members per group.
  const nodeMembers = (g: string): string[] => {
    const out: string[] = [];
    for (const [m, parent] of groupOf) {
      if (!nodeNames.has(m)) continue;
      for (let p: string | undefined = parent; p !== undefined; p = groupOf.get(p)) {
        if (p === g) {
          out.push(m);
          break;
        }
        if (p === m) break;
      }
    }
    return out;
  };
  const chains = new Map<string, string[]>();
  const chain = (n: string): string[] => {
    let c = chains.get(n);
    if (!c) {
      c = nodeChain(n);
      chains.set(n, c);
    }
    return c;
  };
  const key = (a: string, b: string) => (a < b ? `${a}\0${b}` : `${b}\0${a}`);
  const ok = new Set<string>();
  const problems: [string, string][] = [];
  const checked = new Set<string>();
  for (const g of groupNames) {
    const members = nodeMembers(g);
    for (const a of members) {
      for (const b of members) {
        const k = key(a, b);
        if (checked.has(k)) continue;
        checked.add(k);
        const ac = chain(a).slice(1);
        const bc = chain(b).slice(1);
        if (
          a === b ||
          (ac.length === 0 && bc.length === 0) ||
          ac.includes(b) ||
          bc.includes(a) ||
          ac.some((x) => bc.includes(x))
        )
          ok.add(k);
        else problems.push(a < b ? [a, b] : [b, a]);
      }
    }
  }
  for (const [a, b] of problems) {
    if (chain(a).some((c) => ok.has(key(b, c))) || chain(b).some((c) => ok.has(key(a, c)))) {
      ok.add(key(a, b));
      continue;
    }
    throw logicError(
      202,
      `Node '${a}' and '${b}' belong to some shared group but they are not contained in any shared node, nor is any ancestor node of theirs.`,
    );
  }
}
