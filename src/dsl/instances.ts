// Node-instance expansion (dsl_parser/rel_graph.py): containment and scaling groups multiply
// instances; connected_to/depends_on create instance-level edges.
import { DslError } from './errors.js';
import { CONTAINED_IN } from './nodes.js';

export type IdGenerator = (prefix: string) => string;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** `<prefix>_<6 chars [a-z0-9]>` from Math.random; tests inject a deterministic one. */
export const randomIds: IdGenerator = (prefix) => {
  let s = '';
  for (let i = 0; i < 6; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return `${prefix}_${s}`;
};

export interface NodeInstance {
  id: string;
  name: string;
  node_id: string;
  host_id?: string;
  relationships: { type: string; target_name: string; target_id: string }[];
  scaling_groups?: { name: string; id: string }[];
}

interface Entity {
  name: string;
  isGroup: boolean;
  count: number;
  children: Entity[];
}

const DEPENDS = 'cloudify.relationships.depends_on';
const SUPPORTED = [DEPENDS, 'cloudify.relationships.connected_to', CONTAINED_IN];

function checkSupported(nodes: Record<string, any>[]): void {
  for (const n of nodes) {
    for (const r of n.relationships) {
      if (!SUPPORTED.some((s) => r.type_hierarchy.includes(s))) {
        throw new DslError(
          null,
          `Relationship type '${r.type}' of node '${n.name}' is not supported`,
          'UnsupportedRelationship',
        );
      }
    }
  }
}

export function expandInstances(
  plan: Record<string, any>,
  newId: IdGenerator,
  existing = new Set<string>(),
): NodeInstance[] {
  const nodes: Record<string, any>[] = plan.nodes;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const groups: Record<string, any> = plan.scaling_groups ?? {};
  const groupOf = new Map<string, string>(); // member (node or group) -> scaling group
  for (const [g, def] of Object.entries(groups)) for (const m of def.members) groupOf.set(m, g);
  const containerNode = (n: string): string | undefined =>
    byName.get(n)?.relationships.find((r: any) => r.type_hierarchy.includes(CONTAINED_IN))?.target_id;
  checkSupported(nodes);
  // Parent of an entity in the expansion tree: its scaling group, else its container node; a group's
  // parent is the container of its members that lies outside the group.
  const inGroup = (entity: string, g: string): boolean => {
    for (let cur = groupOf.get(entity); cur !== undefined; cur = groupOf.get(cur)) if (cur === g) return true;
    return false;
  };
  const nodeParent = (n: string): string | undefined => {
    const g = groupOf.get(n);
    if (g !== undefined) return g;
    return containerNode(n);
  };
  const groupParent = (g: string): string | undefined => {
    const outer = groupOf.get(g);
    if (outer !== undefined) return outer;
    for (const n of nodes) {
      if (!inGroup(n.name, g)) continue;
      const c = containerNode(n.name);
      if (c !== undefined && !inGroup(c, g)) return c;
    }
    return undefined;
  };
  const entities = new Map<string, Entity>();
  const entity = (name: string, isGroup: boolean): Entity => {
    const key = `${isGroup ? 'g' : 'n'}:${name}`;
    let e = entities.get(key);
    if (!e) {
      const props = isGroup ? groups[name].properties : byName.get(name)!.capabilities.scalable.properties;
      const count = props.planned_instances ?? props.default_instances;
      if (typeof count !== 'number')
        throw new DslError(
          null,
          `Instance count of '${name}' is not a number: ${JSON.stringify(count)}`,
          'ValueError',
        );
      e = { name, isGroup, count, children: [] };
      entities.set(key, e);
    }
    return e;
  };
  const roots: Entity[] = [];
  const attach = (e: Entity, parent: string | undefined) => {
    if (parent === undefined) roots.push(e);
    else entity(parent, parent in groups).children.push(e);
  };
  for (const g of Object.keys(groups)) attach(entity(g, true), groupParent(g));
  for (const n of nodes) attach(entity(n.name, false), nodeParent(n.name));

  const used = new Set(existing);
  const makeId = (prefix: string) => {
    for (;;) {
      const id = newId(prefix);
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  const instances: NodeInstance[] = [];
  const parentInstance = new Map<string, NodeInstance>();
  const effectiveGroups = new Map<string, { name: string; id: string }[]>();
  const expand = (e: Entity, parent: NodeInstance | undefined, sg: { name: string; id: string }[]) => {
    for (let i = 0; i < e.count; i++) {
      if (e.isGroup) {
        const gid = makeId(e.name);
        for (const c of e.children) expand(c, parent, [{ name: e.name, id: gid }, ...sg]);
        continue;
      }
      const node = byName.get(e.name)!;
      const inst: NodeInstance = { id: makeId(e.name), name: e.name, node_id: e.name, relationships: [] };
      // an instance lists the groups its node is a member of; a contained node inherits them only for
      // its connections (a connection stays inside the group instances both ends belong to)
      const own = sg.filter((g) => inGroup(e.name, g.name));
      if (own.length > 0) inst.scaling_groups = own;
      effectiveGroups.set(inst.id, sg);
      if (parent && containerNode(e.name) !== undefined) parentInstance.set(inst.id, parent);
      if (node.host_id !== undefined) inst.host_id = node.host_id === node.name ? inst.id : parent?.host_id;
      instances.push(inst);
      for (const c of e.children) expand(c, inst, sg);
    }
  };
  for (const r of roots) expand(r, undefined, []);
  connect(instances, byName, parentInstance, (i) => effectiveGroups.get(i.id) ?? []);
  return instances;
}

function connect(
  instances: NodeInstance[],
  byName: Map<string, Record<string, any>>,
  parentInstance: Map<string, NodeInstance>,
  groupsOf: GroupsOf,
): void {
  const ofNode = new Map<string, NodeInstance[]>();
  for (const i of instances) ofNode.set(i.node_id, [...(ofNode.get(i.node_id) ?? []), i]);
  for (const inst of instances) {
    const node = byName.get(inst.node_id)!;
    for (const r of node.relationships) {
      if (r.type_hierarchy.includes(CONTAINED_IN)) {
        const p = parentInstance.get(inst.id);
        if (p) inst.relationships.push({ type: r.type, target_name: r.target_id, target_id: p.id });
        continue;
      }
      let targets = ofNode.get(r.target_id) ?? [];
      const shared = sharedGroups(inst, targets[0], groupsOf);
      // every group instance the two ends share must be the same (the innermost one decides)
      if (shared.size > 0)
        targets = targets.filter((t) =>
          groupsOf(t).every((g) => !shared.has(g.name) || shared.get(g.name) === g.id),
        );
      const ct = r.properties?.connection_type ?? 'all_to_all';
      if (ct === 'all_to_one') {
        if (shared.size > 0)
          throw new DslError(
            null,
            `all_to_one relationship of '${node.name}' inside a shared scaling group`,
            'UnsupportedAllToOneInGroup',
          );
        targets = targets.length ? [[...targets].sort((a, b) => (a.id < b.id ? -1 : 1))[0]] : [];
      } else if (ct !== 'all_to_all') {
        throw new DslError(
          null,
          `Illegal connection_type '${ct}' of a relationship of '${node.name}'`,
          'IllegalConnectedToConnectionType',
        );
      }
      for (const t of targets)
        inst.relationships.push({ type: r.type, target_name: r.target_id, target_id: t.id });
    }
  }
}

type GroupsOf = (i: NodeInstance) => { name: string; id: string }[];

// The scaling groups (name -> the source's instance id) that the source and the target node share.
function sharedGroups(
  src: NodeInstance,
  sampleTarget: NodeInstance | undefined,
  groupsOf: GroupsOf,
): Map<string, string> {
  if (!sampleTarget) return new Map();
  const targetGroups = new Set(groupsOf(sampleTarget).map((g) => g.name));
  return new Map(
    groupsOf(src)
      .filter((g) => targetGroups.has(g.name))
      .map((g) => [g.name, g.id]),
  );
}
