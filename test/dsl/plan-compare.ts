// Full comparison of a plan and a deployment plan with the reference's recorded output, by the rules of
// the shared fixtures' README: object key order carries no meaning, group and scaling-group members are
// sorted, and node instances are compared up to a renaming of their random ids.
type Json = any;

export const canon = (v: Json): string =>
  JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );

/** The first path where `a` and `b` differ, or undefined when they are equal. */
export function diff(a: Json, b: Json, path = ''): string | undefined {
  if (canon(a) === canon(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a)
      ? a.length === b.length
        ? a.map((_x: Json, i: number) => String(i))
        : []
      : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = diff(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path}: got ${canon(a)?.slice(0, 300)} want ${canon(b)?.slice(0, 300)}`;
}

const sortedMembers = (groups: Json): Json =>
  groups && typeof groups === 'object'
    ? Object.fromEntries(
        Object.entries<Json>(groups).map(([k, g]) => [
          k,
          g && Array.isArray(g.members) ? { ...g, members: [...g.members].sort() } : g,
        ]),
      )
    : groups;

/** A plan as JSON (no undefined, no class instances) with the members of groups sorted. */
export function normalizePlan(plan: Json): Json {
  const p = JSON.parse(JSON.stringify(plan));
  if (p.groups) p.groups = sortedMembers(p.groups);
  if (p.scaling_groups) p.scaling_groups = sortedMembers(p.scaling_groups);
  return p;
}

/** Compares the reference's full plan with ours; undefined when equal. */
export function comparePlan(ours: Json, want: Json): string | undefined {
  return diff(normalizePlan(ours), normalizePlan(want));
}

// --- node instances up to a renaming of ids (colour refinement over the instance graph) ---

interface Inst {
  base: string;
  host?: string;
  targets: [string, string][]; // [relationship without target_id, target id]
  groups: string[]; // scaling-group instance ids
}

function baseOf(i: Json, nodeOf: Map<string, string>): Inst {
  const { id: _id, host_id, relationships, scaling_groups, ...rest } = i;
  const rels: Json[] = relationships ?? [];
  const sg: Json[] = scaling_groups ?? [];
  return {
    base: canon({
      ...rest,
      host_node: host_id === undefined ? undefined : (nodeOf.get(host_id) ?? host_id),
      has_host: host_id !== undefined,
      relationships: rels.map(({ target_id: _t, ...r }) => r),
      scaling_groups: sg.map((g) => g.name),
    }),
    host: host_id ?? undefined,
    targets: rels.map(({ target_id, ...r }) => [canon(r), target_id]),
    groups: sg.map((g) => `${g.name}\u0000${g.id}`),
  };
}

function colours(list: Json[]): string[] {
  const nodeOf = new Map<string, string>(list.map((i) => [i.id, i.node_id]));
  const insts = list.map((i) => baseOf(i, nodeOf));
  const ids = list.map((i) => i.id as string);
  let col = new Map(ids.map((id, k) => [id, insts[k].base]));
  for (let round = 0; round < 4; round++) {
    const members = new Map<string, string[]>();
    insts.forEach((x, k) => {
      for (const g of x.groups) members.set(g, [...(members.get(g) ?? []), col.get(ids[k]) ?? '']);
    });
    const next = new Map<string, string>();
    insts.forEach((x, k) => {
      // targets of one relationship kind to one node are compared as a multiset
      const t = x.targets.map(([r, id]) => `${r}>${col.get(id) ?? id}`);
      const sortedT = [...t].sort();
      const g = x.groups.map((gid) => [...(members.get(gid) ?? [])].sort().join('|')).sort();
      next.set(ids[k], canon([col.get(ids[k]), x.host ? col.get(x.host) : null, sortedT, g, t.length]));
    });
    col = next;
  }
  return ids.map((id) => col.get(id) ?? '').sort();
}

/** Compares node instances up to a renaming of ids; undefined when equal. */
export function compareInstances(ours: Json[], want: Json[]): string | undefined {
  if (ours.length !== want.length) return `.node_instances: got ${ours.length} want ${want.length}`;
  const bases = (l: Json[]) => {
    const nodeOf = new Map<string, string>(l.map((i) => [i.id, i.node_id]));
    return l.map((i) => baseOf(i, nodeOf).base).sort();
  };
  const [ba, bb] = [bases(ours), bases(want)];
  const k = ba.findIndex((x, n) => x !== bb[n]);
  if (k >= 0) return `.node_instances (up to ids)${diff(JSON.parse(ba[k]), JSON.parse(bb[k]))}`;
  const [a, b] = [colours(ours), colours(want)];
  return a.some((x, n) => x !== b[n]) ? '.node_instances: the instance graph differs' : undefined;
}

/** Compares the reference's deployment plan (keys differing from the plan) with ours. */
export function compareDeployment(ours: Json, want: Json, plan: Json): string | undefined {
  const o = JSON.parse(JSON.stringify(ours));
  want = JSON.parse(JSON.stringify(want));
  // inter_deployment_functions name instances: compare their nodes (ids are random)
  for (const dp of [o, want]) {
    const nodeOf = new Map<string, string>((dp.node_instances ?? []).map((i: Json) => [i.id, i.node_id]));
    for (const f of dp.inter_deployment_functions ?? [])
      for (const k of Object.keys(f.context ?? {})) f.context[k] = nodeOf.get(f.context[k]) ?? f.context[k];
  }
  for (const [k, v] of Object.entries<Json>(want)) {
    if (k === 'node_instances') continue;
    const d = diff(
      k.endsWith('groups') ? sortedMembers(o[k]) : o[k],
      k.endsWith('groups') ? sortedMembers(v) : v,
      `.${k}`,
    );
    if (d) return d;
  }
  for (const k of Object.keys(o)) {
    if (k in want || k === 'node_instances') continue;
    const d = diff(
      normalizePlan({ [k]: o[k] })[k],
      normalizePlan({ [k]: plan[k] })[k],
      `.${k} (same as plan)`,
    );
    if (d) return d;
  }
  return compareInstances(o.node_instances, want.node_instances);
}
