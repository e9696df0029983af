// update (cloudify-common 5.1.2 workflows.py `update`): the workflow a deployment update runs, after
// the worker stored the new nodes and instances. Its phases run one after the other, as Cloudify's
// successive graph.execute() calls do: uninstall the removed instances (intact sources unlink from
// them; relationships removed between kept instances are unlinked first), install the added ones
// (intact sources establish their relationships to them; then new relationships between kept
// instances are established), reinstall
// the instances of modified nodes (`reinstall-` subgraphs); install_first swaps the first two.
// A final LocalWorkflowTask `deployment_update.finalize` commits the new plan (Cloudify's
// finalize_commit REST call).
import type { Fragment } from '../graph.js';
import type { PlanNodeInstance } from '../plan-types.js';
import type { WorkflowContext } from './context.js';
import { REL_LIFECYCLE } from './context.js';
import { installInstances, intactStub, uninstallInstances } from './lifecycle-order.js';

interface RelRef {
  source_id: string;
  target_id: string;
  type: string;
}

/** establish/unlink (source then target side) of relationships between kept instances. */
function relationshipOps(ctx: WorkflowContext, refs: unknown, op: 'establish' | 'unlink') {
  for (const r of (Array.isArray(refs) ? refs : []) as RelRef[]) {
    const inst = ctx.instances.get(r.source_id);
    const rel = inst?.relationships?.find((x) => x.target_id === r.target_id && x.type === r.type);
    if (inst && rel) intactStub(ctx, inst, [rel], `${REL_LIFECYCLE}.${op}`, `${op}-${inst.id}`);
  }
}

const ids = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** Makes every op added since `mark` wait for the ops that existed before it (the previous phase). */
function afterPrevious(ctx: WorkflowContext, mark: number): number {
  const ops = ctx.b.build().operations;
  const before = ops.slice(0, mark);
  const added = ops.slice(mark);
  if (before.length && added.length) {
    const dependedOn = new Set(before.flatMap((o) => o.dependencies));
    const sinks = before.filter((o) => !dependedOn.has(o.id)).map((o) => o.id);
    const roots = added.filter((o) => o.dependencies.length === 0).map((o) => o.id);
    ctx.b.depend({ roots, sinks: [] }, { roots: [], sinks });
  }
  return ops.length;
}

/** The instances contained (transitively) in `inst`, and itself: Cloudify's get_contained_subgraph. */
function containedSubgraph(ctx: WorkflowContext, inst: PlanNodeInstance): PlanNodeInstance[] {
  const out = [inst];
  for (const other of ctx.instances.values()) {
    if (other.id !== inst.id && other.host_id === inst.id) out.push(...containedSubgraph(ctx, other));
  }
  return out;
}

export function buildUpdate(ctx: WorkflowContext): void {
  const p = ctx.params;
  const all = [...ctx.instances.values()];
  const pick = (list: string[]) => all.filter((i) => list.includes(i.id));
  const added = pick(ids(p.added_instance_ids));
  const removed = pick(ids(p.removed_instance_ids));
  const ignoreFailure = p.ignore_failure === true;
  const changed = new Set([...added, ...removed].map((i) => i.id));
  const intact = all.filter((i) => !changed.has(i.id));
  const phases: (() => void)[] = [];
  const uninstall = [
    () => p.skip_uninstall !== true && relationshipOps(ctx, p.unlinked_relationships, 'unlink'),
    () => p.skip_uninstall !== true && uninstallInstances(ctx, removed, intact, { ignoreFailure }),
  ];
  const install = [
    () => p.skip_install !== true && installInstances(ctx, added, intact),
    () => p.skip_install !== true && relationshipOps(ctx, p.established_relationships, 'establish'),
  ];
  if (p.install_first === true) phases.push(...install, ...uninstall);
  else phases.push(...uninstall, ...install);
  phases.push(() => reinstall(ctx, ids(p.node_instances_to_reinstall), changed, ignoreFailure));
  let mark = 0;
  for (const phase of phases) {
    phase();
    mark = afterPrevious(ctx, mark);
  }
  const finish = ctx.local('deployment_update.finalize', { update_id: p.update_id ?? null }, 'update');
  const everything = ctx.b.build().operations.map((o) => o.id);
  ctx.b.depend(finish, { roots: everything, sinks: everything } satisfies Fragment);
}

/** Reinstalls the contained subgraphs of `list` (without the added/removed ones): uninstall, then install. */
function reinstall(ctx: WorkflowContext, list: string[], changed: Set<string>, ignoreFailure: boolean) {
  const selected = new Map<string, PlanNodeInstance>();
  for (const id of list) {
    const inst = ctx.instances.get(id);
    if (!inst) continue;
    for (const i of containedSubgraph(ctx, inst)) if (!changed.has(i.id)) selected.set(i.id, i);
  }
  if (!selected.size) return;
  const chosen = [...selected.values()];
  const intact = [...ctx.instances.values()].filter((i) => !selected.has(i.id) && !changed.has(i.id));
  const mark = ctx.b.build().operations.length;
  uninstallInstances(ctx, chosen, intact, { ignoreFailure, prefix: 'reinstall-' });
  const next = afterPrevious(ctx, mark);
  const fresh = chosen.map((i) => ({ ...i, state: 'uninitialized' }));
  installInstances(ctx, fresh, intact, 'reinstall-');
  afterPrevious(ctx, next);
}
