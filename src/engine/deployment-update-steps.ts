// The steps of a deployment update (Cloudify 5.1.2 rest-service deployment_update/step_extractor):
// the diff of the deployment's current plan and the new one, as `add|remove|modify` steps on
// entity ids such as `nodes:vm`, `nodes:vm:properties:port`, `nodes:vm:relationships:[0]`,
// `nodes:vm:operations:cloudify.interfaces.lifecycle.create`, `outputs:ip`, `workflows:wf`,
// `description`, `plugins:vm:p`. Pure: no I/O.

export type StepAction = 'add' | 'remove' | 'modify';

export interface UpdateStep {
  action: StepAction;
  entity_type: string;
  entity_id: string;
  topology_order: number;
  supported: boolean;
}

/** The sections of a plan the diff reads (a stored deployment or a prepared deployment plan). */
export interface DiffPlan {
  description?: string | null;
  nodes: Record<string, DiffNode>;
  outputs?: Record<string, unknown>;
  workflows?: Record<string, unknown>;
  policy_types?: Record<string, unknown>;
  policy_triggers?: Record<string, unknown>;
  groups?: Record<string, unknown>;
}

export interface DiffNode {
  type: string;
  properties?: Record<string, unknown>;
  operations?: Record<string, unknown>;
  relationships?: Record<string, any>[];
  plugins?: Record<string, any>[];
  plugins_to_install?: Record<string, any>[] | null;
}

/** Cloudify's DEFAULT_TOPOLOGY_LEVEL: steps other than added nodes keep it. */
const DEFAULT_TOPOLOGY_LEVEL = 0;
const CONTAINED_IN = 'cloudify.relationships.contained_in';

const SECTION_TYPE: Record<string, string> = {
  properties: 'property',
  outputs: 'output',
  workflows: 'workflow',
  groups: 'group',
  policy_types: 'policy_type',
  policy_triggers: 'policy_trigger',
};

/** Sections diffed like Cloudify, and whether a change in them is supported. */
const SECTIONS: [keyof DiffPlan, boolean][] = [
  ['outputs', true],
  ['workflows', true],
  ['policy_types', false],
  ['policy_triggers', false],
  ['groups', false],
];

const same = (a: unknown, b: unknown): boolean => JSON.stringify(canon(a)) === JSON.stringify(canon(b));

function canon(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canon);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

class Extractor {
  readonly steps: UpdateStep[] = [];
  /** false: entities of `from` missing in `to` are added, changed ones modified; true: removed. */
  inverted = false;

  step(entityType: string, id: string[], opts: { modify?: boolean; supported?: boolean } = {}) {
    let action: StepAction | undefined;
    if (opts.modify) action = this.inverted ? undefined : 'modify';
    else action = this.inverted ? 'remove' : 'add';
    if (!action) return;
    this.steps.push({
      action,
      entity_type: entityType,
      entity_id: id.join(':'),
      topology_order: DEFAULT_TOPOLOGY_LEVEL,
      supported: opts.supported ?? true,
    });
  }

  entities(
    name: string,
    to: Record<string, unknown>,
    from: Record<string, unknown>,
    base: string[],
    supported = true,
  ) {
    for (const key of Object.keys(to ?? {})) {
      const id = [...base, name, key];
      if (!Object.hasOwn(from ?? {}, key)) this.step(SECTION_TYPE[name], id, { supported });
      else if (changed(name, from[key], to[key]))
        this.step(SECTION_TYPE[name], id, { supported, modify: true });
    }
  }

  operations(kind: string, to: Record<string, unknown>, from: Record<string, unknown>, base: string[]) {
    for (const op of Object.keys(to ?? {})) {
      const id = [...base, kind, op];
      if (!Object.hasOwn(from ?? {}, op)) this.step('operation', id);
      else if (!same(from[op], to[op])) this.step('operation', id, { modify: true });
    }
  }

  relationships(to: Record<string, any>[], from: Record<string, any>[], base: string[]) {
    to.forEach((rel, i) => {
      const oldIndex = from.findIndex((o) => o.type === rel.type && o.target_id === rel.target_id);
      const id = [...base, 'relationships', `[${i}]`];
      if (oldIndex < 0) {
        this.step('relationship', id);
        return;
      }
      const old = from[oldIndex];
      // a reordered relationship: `…:[old]:[new]`
      if (oldIndex !== i)
        this.step('relationship', [...base, 'relationships', `[${oldIndex}]`, `[${i}]`], { modify: true });
      for (const kind of ['source_operations', 'target_operations']) {
        if (rel[kind]) this.operations(kind, rel[kind], old[kind] ?? {}, id);
      }
      if (rel.properties) this.entities('properties', rel.properties, old.properties ?? {}, id, false);
    });
  }

  nodes(to: Record<string, DiffNode>, from: Record<string, DiffNode>) {
    for (const [name, node] of Object.entries(to)) {
      const id = ['nodes', name];
      const old = from[name];
      if (!old) {
        this.step('node', id);
        continue;
      }
      if (node.type !== old.type || container(node) !== container(old)) {
        // a node that changed its type or its host counts as a different node: not supported
        this.step('node', id, { supported: false, modify: true });
        continue;
      }
      this.operations('operations', node.operations ?? {}, old.operations ?? {}, id);
      this.relationships(node.relationships ?? [], old.relationships ?? [], id);
      this.entities('properties', node.properties ?? {}, old.properties ?? {}, id);
    }
  }

  sections(to: DiffPlan, from: DiffPlan) {
    this.nodes(to.nodes, from.nodes);
    for (const [name, supported] of SECTIONS) {
      const t = to[name] as Record<string, unknown> | undefined;
      if (t) this.entities(name, t, (from[name] as Record<string, unknown>) ?? {}, [], supported);
    }
  }
}

function changed(section: string, a: any, b: any): boolean {
  if (section !== 'groups') return !same(a, b);
  // a group's members are a set
  const { members: am = [], ...ar } = a ?? {};
  const { members: bm = [], ...br } = b ?? {};
  return !same([...new Set(am)].sort(), [...new Set(bm)].sort()) || !same(ar, br);
}

function container(n: DiffNode): string | undefined {
  return (n.relationships ?? []).find((r) => (r.type_hierarchy ?? [r.type]).includes(CONTAINED_IN))
    ?.target_id;
}

function pluginSteps(x: Extractor, from: Record<string, DiffNode>, to: Record<string, DiffNode>) {
  for (const kind of ['plugins_to_install', 'plugins'] as const) {
    for (const [name, node] of Object.entries(to)) {
      const plugins = node[kind];
      const old = from[name];
      if (!plugins?.length || !old || same(old[kind], plugins)) continue;
      for (const p of plugins) {
        const match = (old[kind] ?? []).find((o) => o.name === p.name && o.executor === p.executor);
        if (match && same(match, p)) continue;
        x.step('plugin', [kind, name, p.name], { modify: !!match });
      }
    }
  }
}

function descriptionStep(x: Extractor, from?: string | null, to?: string | null) {
  const a = from ?? null;
  const b = to ?? null;
  if (a === null && b !== null) x.step('description', ['description']);
  else if (a !== null && b === null) {
    x.inverted = true;
    x.step('description', ['description']);
    x.inverted = false;
  } else if (a !== b) x.step('description', ['description'], { modify: true });
}

const ACTION_ORDER: StepAction[] = ['remove', 'add', 'modify'];

/** Cloudify's DeploymentUpdateStep.__lt__ (remove < add < modify; within them, by entity kind). */
function less(a: UpdateStep, b: UpdateStep): boolean {
  if (a.action !== b.action) return ACTION_ORDER.indexOf(a.action) < ACTION_ORDER.indexOf(b.action);
  if (a.action === 'add' && a.entity_type === 'node') {
    if (b.entity_type === 'relationship') return true;
    if (b.entity_type === 'node') return a.topology_order > b.topology_order;
  }
  return a.action === 'remove' && a.entity_type === 'relationship' && b.entity_type === 'node';
}

/** Added nodes get a topology order: a node's order is after every added node it points to. */
function orderAddedNodes(steps: UpdateStep[], to: Record<string, DiffNode>) {
  const added = steps.filter((s) => s.action === 'add' && s.entity_type === 'node');
  const names = new Set(added.map((s) => s.entity_id.split(':')[1]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const r of to[n]?.relationships ?? []) if (names.has(r.target_id)) visit(r.target_id);
    order.unshift(n); // sources before their targets, as networkx's topological_sort of source→target edges
  };
  for (const n of names) visit(n);
  for (const s of added) s.topology_order = order.indexOf(s.entity_id.split(':')[1]);
}

/** A stable insertion sort with Cloudify's comparison (Python's list.sort is stable). */
function sortSteps(steps: UpdateStep[]): UpdateStep[] {
  const out: UpdateStep[] = [];
  for (const s of steps) {
    let i = out.length;
    while (i > 0 && less(s, out[i - 1])) i--;
    out.splice(i, 0, s);
  }
  return out;
}

/** The supported steps (sorted as Cloudify executes them) and the unsupported ones. */
export function extractUpdateSteps(
  from: DiffPlan,
  to: DiffPlan,
): { supported: UpdateStep[]; unsupported: UpdateStep[] } {
  const x = new Extractor();
  descriptionStep(x, from.description, to.description);
  pluginSteps(x, from.nodes, to.nodes);
  x.sections(to, from);
  x.inverted = true;
  x.sections(from, to);
  const supported = x.steps.filter((s) => s.supported);
  orderAddedNodes(supported, to.nodes);
  return { supported: sortSteps(supported), unsupported: x.steps.filter((s) => !s.supported) };
}

export interface ModifiedEntityIds {
  node: string[];
  relationship: Record<string, string[]>;
  property: string[];
  operation: string[];
  workflow: string[];
  output: string[];
  description: string[];
  plugin: string[];
  [kind: string]: unknown;
}

/** What the update touched, by entity type (Cloudify's modified_entity_ids). */
export function modifiedEntityIds(steps: UpdateStep[]): ModifiedEntityIds {
  const m: ModifiedEntityIds = {
    node: [],
    relationship: {},
    property: [],
    operation: [],
    workflow: [],
    output: [],
    description: [],
    plugin: [],
  };
  for (const s of steps) {
    const parts = s.entity_id.split(':');
    if (s.entity_type === 'node') m.node.push(parts[1]);
    else if (s.entity_type === 'relationship') {
      const target = parts[1];
      const list = m.relationship[target] ?? [];
      list.push(parts.slice(3).join(':'));
      m.relationship[target] = list;
    } else if (Array.isArray(m[s.entity_type])) (m[s.entity_type] as string[]).push(s.entity_id);
  }
  return m;
}

/** Nodes whose instances an update reinstalls: modified properties or operations of a kept node. */
export function nodesToReinstall(steps: UpdateStep[]): string[] {
  const out = new Set<string>();
  for (const s of steps) {
    if (s.entity_type !== 'property' && s.entity_type !== 'operation') continue;
    const [root, node] = s.entity_id.split(':');
    if (root === 'nodes') out.add(node);
  }
  return [...out];
}
