// Cross-instance order of install and uninstall (dsl-and-workflows.md §3.3–3.4, Cloudify 5.1.2
// lifecycle.py LifecycleProcessor): target before source on install, the reverse on uninstall,
// depends_on_lifecycle_operation, and the stubs of intact instances.

import { EMPTY, type Fragment, isEmpty } from '../graph.js';
import type { PlanNodeInstance, PlanNodeInstanceRelationship } from '../plan-types.js';
import { DEPENDS_ON_LIFECYCLE_OP, LIFECYCLE, REL_LIFECYCLE, type WorkflowContext } from './context.js';
import { type InstanceGraph, installInstance, uninstallInstance } from './lifecycle.js';

const R = (op: string) => `${REL_LIFECYCLE}.${op}`;

const fullLifecycleName = (op: string) => (op.includes('.') ? op : `${LIFECYCLE}.${op}`);

/**
 * What `graph` must wait for on `inst`'s side of `rel` (_handle_dependency_creation): the whole
 * subgraph, or with depends_on_lifecycle_operation only what follows that lifecycle operation in
 * it, and nothing at all when that operation is not in the graph (a NOP).
 */
function waitFor(
  ctx: WorkflowContext,
  source: PlanNodeInstance,
  rel: PlanNodeInstanceRelationship,
  other: InstanceGraph,
): Fragment {
  if (!ctx.relTypes(source, rel).includes(DEPENDS_ON_LIFECYCLE_OP)) return other.whole;
  const opProp = ctx.nodeRelationship(source, rel)?.properties?.operation;
  if (typeof opProp !== 'string' || !opProp) return other.whole;
  return other.after.get(fullLifecycleName(opProp)) ?? EMPTY;
}

/**
 * The stub of an intact instance (_finish_subgraphs): for each of its relationships to a selected
 * instance, the source then the target operation `opName`, one after the other and without
 * events; on uninstall their failures are only reported (`Ignoring task … failure`).
 */
export function intactStub(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  rels: PlanNodeInstanceRelationship[],
  opName: string,
  subgraph: string,
): Fragment {
  const ignoreFailure = opName === R('unlink');
  const tasks = rels.flatMap((rel) => {
    const nrel = ctx.nodeRelationship(inst, rel);
    const info = { source_id: inst.id, target_id: rel.target_id, type: rel.type };
    return (['source', 'target'] as const).map((side) =>
      ctx.remote(inst, opName, nrel?.[`${side}_operations`]?.[opName], subgraph, {
        ignoreFailure,
        relationship: { ...info, side },
      }),
    );
  });
  return ctx.b.sequence(tasks);
}

/**
 * Cloudify gives every intact instance a stub subgraph and orders stubs like the others, so an
 * instance also waits for selected instances it reaches only through intact ones (and for those
 * intact ones' stubs). `next(id)` are the instances `id` waits for: its targets on install, its
 * sources on uninstall. Returns what `id` waits for through its intact neighbours.
 */
export function viaIntact(
  graphs: Map<string, { whole: Fragment }>,
  stubs: Map<string, Fragment>,
  next: (id: string) => string[],
): (id: string) => Fragment {
  const reach = (id: string, seen: Set<string>): Fragment[] => {
    const g = graphs.get(id);
    if (g) return [g.whole];
    const stub = stubs.get(id);
    if (!stub || seen.has(id)) return [];
    seen.add(id);
    return [stub, ...next(id).flatMap((n) => reach(n, seen))];
  };
  return (id) => ({
    roots: [],
    sinks: next(id)
      .filter((n) => !graphs.has(n))
      .flatMap((n) => reach(n, new Set([id])))
      .flatMap((f) => f.sinks),
  });
}

export const targetsOf = (ctx: WorkflowContext) => (id: string) =>
  (ctx.instances.get(id)?.relationships ?? []).map((r) => r.target_id);

function sourcesOf(ctx: WorkflowContext): (id: string) => string[] {
  const sources = new Map<string, string[]>();
  for (const inst of ctx.instances.values()) {
    for (const rel of inst.relationships ?? []) {
      sources.set(rel.target_id, [...(sources.get(rel.target_id) ?? []), inst.id]);
    }
  }
  return (id) => sources.get(id) ?? [];
}

/**
 * Install `selected`; `intact` instances are already installed. A source's whole subgraph waits
 * for each selected target's whole subgraph (§3.3; see `waitFor`). An intact source related to a
 * selected target gets a stub with its establish ops for those relationships, after the targets.
 */
export function installInstances(
  ctx: WorkflowContext,
  selected: PlanNodeInstance[],
  intact: PlanNodeInstance[] = [],
  prefix = '',
): Map<string, InstanceGraph> {
  const graphs = new Map<string, InstanceGraph>();
  for (const inst of selected) graphs.set(inst.id, installInstance(ctx, inst, `${prefix}install_${inst.id}`));
  for (const inst of selected) {
    for (const rel of inst.relationships ?? []) {
      const target = graphs.get(rel.target_id);
      if (target) ctx.b.depend(graphs.get(inst.id)!.whole, waitFor(ctx, inst, rel, target));
    }
  }
  const stubs = new Map<string, Fragment>();
  for (const inst of intact) {
    const rels = (inst.relationships ?? []).filter((rel) => graphs.has(rel.target_id));
    const stub = intactStub(ctx, inst, rels, R('establish'), `${prefix}install_stub_${inst.id}`);
    for (const rel of rels) ctx.b.depend(stub, graphs.get(rel.target_id)!.whole);
    stubs.set(inst.id, stub);
  }
  const through = viaIntact(graphs, stubs, targetsOf(ctx));
  for (const [id, g] of graphs) ctx.b.depend(g.whole, through(id));
  for (const [id, stub] of stubs) if (!isEmpty(stub)) ctx.b.depend(stub, through(id));
  return graphs;
}

/**
 * Uninstall `selected` in reverse order: a target waits for its sources (§3.4), or with
 * depends_on_lifecycle_operation for what follows that operation on the source. An intact
 * source related to a selected target unlinks first (its stub, relationships reversed).
 */
export function uninstallInstances(
  ctx: WorkflowContext,
  selected: PlanNodeInstance[],
  intact: PlanNodeInstance[] = [],
  opts: { ignoreFailure?: boolean; prefix?: string } = {},
): Map<string, InstanceGraph> {
  const prefix = opts.prefix ?? '';
  const graphs = new Map<string, InstanceGraph>();
  for (const inst of selected) {
    graphs.set(inst.id, uninstallInstance(ctx, inst, `${prefix}uninstall_${inst.id}`, opts.ignoreFailure));
  }
  for (const inst of selected) {
    for (const rel of [...(inst.relationships ?? [])].reverse()) {
      const target = graphs.get(rel.target_id);
      if (target) ctx.b.depend(target.whole, waitFor(ctx, inst, rel, graphs.get(inst.id)!));
    }
  }
  const stubs = new Map<string, Fragment>();
  for (const inst of intact) {
    const rels = [...(inst.relationships ?? [])].reverse().filter((rel) => graphs.has(rel.target_id));
    const stub = intactStub(ctx, inst, rels, R('unlink'), `${prefix}uninstall_stub_${inst.id}`);
    for (const rel of rels) ctx.b.depend(graphs.get(rel.target_id)!.whole, stub);
    stubs.set(inst.id, stub);
  }
  const through = viaIntact(graphs, stubs, sourcesOf(ctx));
  for (const [id, g] of graphs) ctx.b.depend(g.whole, through(id));
  for (const [id, stub] of stubs) if (!isEmpty(stub)) ctx.b.depend(stub, through(id));
  return graphs;
}
