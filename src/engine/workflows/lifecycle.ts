// Per-instance install/uninstall sequences and cross-instance ordering
// (dsl-and-workflows.md §3.2–3.4, Cloudify lifecycle.py), flattened into the graph.

import { EMPTY, type Fragment } from '../graph.js';
import type { PlanNodeInstance, PlanNodeInstanceRelationship } from '../plan-types.js';
import {
  DEPENDS_ON_LIFECYCLE_OP,
  hasImpl,
  LIFECYCLE,
  REL_LIFECYCLE,
  type WorkflowContext,
} from './context.js';

const V_CREATE = 'cloudify.interfaces.validation.create';
const V_DELETE = 'cloudify.interfaces.validation.delete';
const M_START = 'cloudify.interfaces.monitoring.start';
const M_STOP = 'cloudify.interfaces.monitoring.stop';
const L = (op: string) => `${LIFECYCLE}.${op}`;
const R = (op: string) => `${REL_LIFECYCLE}.${op}`;

/** A built instance subgraph plus "what follows op X" marks for depends_on_lifecycle_operation. */
export interface InstanceGraph {
  whole: Fragment;
  after: Map<string, Fragment>;
}

type RelFilter = (rel: PlanNodeInstanceRelationship) => boolean;

/**
 * Relationship operations of one instance: relationships grouped by target node (consecutive
 * groups in declaration order); inside a group every source- and target-side op runs in
 * parallel; groups run in sequence (reversed for unlink).
 */
export function relationshipOps(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  opName: string,
  subgraph: string,
  opts: { reverse?: boolean; filter?: RelFilter; ignoreFailure?: boolean } = {},
): Fragment {
  const groups: PlanNodeInstanceRelationship[][] = [];
  for (const rel of inst.relationships ?? []) {
    if (opts.filter && !opts.filter(rel)) continue;
    const last = groups[groups.length - 1];
    if (last && last[0].target_name === rel.target_name) last.push(rel);
    else groups.push([rel]);
  }
  if (opts.reverse) groups.reverse();
  const steps = groups.map((group) =>
    ctx.b.forkjoin(
      group.flatMap((rel) => {
        const nrel = ctx.nodeRelationship(inst, rel);
        const info = { source_id: inst.id, target_id: rel.target_id, type: rel.type };
        const common = { ignoreFailure: opts.ignoreFailure };
        return [
          ctx.remote(inst, opName, nrel?.source_operations?.[opName], subgraph, {
            ...common,
            relationship: { ...info, side: 'source' },
          }),
          ctx.remote(inst, opName, nrel?.target_operations?.[opName], subgraph, {
            ...common,
            relationship: { ...info, side: 'target' },
          }),
        ];
      }),
    ),
  );
  return ctx.b.sequence(steps);
}

function relOpsImplemented(ctx: WorkflowContext, inst: PlanNodeInstance, opNames: string[]): boolean {
  return (inst.relationships ?? []).some((rel) => {
    const nrel = ctx.nodeRelationship(inst, rel);
    return opNames.some(
      (o) => hasImpl(nrel?.source_operations?.[o]) || hasImpl(nrel?.target_operations?.[o]),
    );
  });
}

const CREATED_OR_LATER = new Set(['created', 'configuring', 'configured', 'starting', 'started']);
const CONFIGURED_OR_LATER = new Set(['configured', 'starting', 'started']);

/** install_node_instance_subgraph (§3.2), with the resume-aware skips by current state. */
export function installInstance(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  subgraph: string,
): InstanceGraph {
  const b = ctx.b;
  const st = inst.state ?? 'uninitialized';
  const after = new Map<string, Fragment>();
  if (st === 'started') return { whole: EMPTY, after };
  const ops = ctx.node(inst).operations ?? {};
  const anything =
    [V_CREATE, L('precreate'), L('create'), L('configure'), L('start'), L('poststart'), M_START].some((o) =>
      hasImpl(ops[o]),
    ) || relOpsImplemented(ctx, inst, [R('preconfigure'), R('postconfigure'), R('establish')]);
  if (!anything) return { whole: ctx.setState(inst, 'started', subgraph), after };

  // _skip_nop_operations: a NOP task takes its pre/post events and states with it.
  const nopSkip = (opName: string, pre?: () => Fragment, post?: () => Fragment): Fragment => {
    if (!hasImpl(ops[opName])) return EMPTY;
    const p = pre ? pre() : EMPTY;
    const t = ctx.lifecycle(inst, opName, subgraph);
    const q = post ? post() : EMPTY;
    const seq = b.sequence([p, t, q]);
    after.set(opName, isEmptyF(q) ? t : q);
    return seq;
  };
  const both = (state: string, text: string) => () =>
    b.forkjoin([ctx.event(inst, text, subgraph), ctx.setState(inst, state, subgraph)]);

  const steps: Fragment[] = [];
  if (!CREATED_OR_LATER.has(st)) {
    steps.push(
      ctx.setState(inst, 'initializing', subgraph),
      nopSkip(
        V_CREATE,
        () => ctx.event(inst, 'Validating node instance before creation', subgraph),
        () => ctx.event(inst, 'Node instance validated before creation', subgraph),
      ),
      nopSkip(
        L('precreate'),
        () => ctx.event(inst, 'Precreating node instance', subgraph),
        () => ctx.event(inst, 'Node instance precreated', subgraph),
      ),
      nopSkip(
        L('create'),
        both('creating', 'Creating node instance'),
        both('created', 'Node instance created'),
      ),
    );
  }
  if (!CONFIGURED_OR_LATER.has(st)) {
    steps.push(
      relationshipOps(ctx, inst, R('preconfigure'), subgraph),
      nopSkip(
        L('configure'),
        both('configuring', 'Configuring node instance'),
        both('configured', 'Node instance configured'),
      ),
      relationshipOps(ctx, inst, R('postconfigure'), subgraph),
    );
  }
  steps.push(
    nopSkip(L('start'), both('starting', 'Starting node instance')),
    nopSkip(
      L('poststart'),
      () => ctx.event(inst, 'Poststarting node instance', subgraph),
      () => ctx.event(inst, 'Node instance poststarted', subgraph),
    ),
    nopSkip(M_START),
    relationshipOps(ctx, inst, R('establish'), subgraph),
    both('started', 'Node instance started')(),
  );
  return { whole: b.sequence(steps), after };
}

const isEmptyF = (f: Fragment) => f.roots.length === 0;

const NOT_RUNNING = new Set(['stopped', 'deleting', 'deleted', 'uninitialized', 'configured']);
const GONE = new Set(['deleted', 'uninitialized']);

/** uninstall_node_instance_subgraph (§3.4). */
export function uninstallInstance(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  subgraph: string,
  ignoreFailure = false,
): InstanceGraph {
  const b = ctx.b;
  const st = inst.state ?? 'uninitialized';
  const op = (name: string) => ctx.lifecycle(inst, name, subgraph, ignoreFailure);
  const both = (state: string, text: string) =>
    b.forkjoin([ctx.setState(inst, state, subgraph), ctx.event(inst, text, subgraph)]);
  const steps: Fragment[] = [];
  if (!NOT_RUNNING.has(st)) {
    steps.push(
      both('stopping', 'Stopping node instance'),
      op(V_DELETE),
      op(M_STOP),
      op(L('prestop')),
      op(L('stop')),
      both('stopped', 'Node instance stopped'),
    );
  }
  if (!GONE.has(st)) {
    steps.push(
      relationshipOps(ctx, inst, R('unlink'), subgraph, { reverse: true, ignoreFailure }),
      both('deleting', 'Deleting node instance'),
      op(L('delete')),
      op(L('postdelete')),
      both('deleted', 'Node instance deleted'),
    );
  }
  return { whole: b.sequence(steps), after: new Map() };
}

const fullLifecycleName = (op: string) => (op.includes('.') ? op : `${LIFECYCLE}.${op}`);

/**
 * Install `selected`; `intact` instances are already installed. A source's whole subgraph waits
 * for each selected target's whole subgraph (§3.3); depends_on_lifecycle_operation waits only
 * for that target operation. An intact source related to a selected target gets a stub with its
 * establish ops for that relationship.
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
      if (!target) continue;
      let before = target.whole;
      if (ctx.relTypes(inst, rel).includes(DEPENDS_ON_LIFECYCLE_OP)) {
        const opProp = ctx.nodeRelationship(inst, rel)?.properties?.operation;
        const mark = typeof opProp === 'string' ? target.after.get(fullLifecycleName(opProp)) : undefined;
        if (mark) before = mark;
      }
      ctx.b.depend(graphs.get(inst.id)!.whole, before);
    }
  }
  for (const inst of intact) {
    const toSelected = (rel: PlanNodeInstanceRelationship) =>
      graphs.has(rel.target_id) && !graphs.has(inst.id);
    if (!(inst.relationships ?? []).some(toSelected)) continue;
    const stub = relationshipOps(ctx, inst, R('establish'), `${prefix}install_stub_${inst.id}`, {
      filter: toSelected,
    });
    for (const rel of (inst.relationships ?? []).filter(toSelected)) {
      ctx.b.depend(stub, graphs.get(rel.target_id)!.whole);
    }
  }
  return graphs;
}

/** Uninstall `selected` in reverse order: a target waits for its sources (§3.4). */
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
      if (target) ctx.b.depend(target.whole, graphs.get(inst.id)!.whole);
    }
  }
  for (const inst of intact) {
    const toSelected = (rel: PlanNodeInstanceRelationship) =>
      graphs.has(rel.target_id) && !graphs.has(inst.id);
    if (!(inst.relationships ?? []).some(toSelected)) continue;
    const stub = relationshipOps(ctx, inst, R('unlink'), `${prefix}uninstall_stub_${inst.id}`, {
      reverse: true,
      filter: toSelected,
      ignoreFailure: opts.ignoreFailure,
    });
    for (const rel of (inst.relationships ?? []).filter(toSelected)) {
      ctx.b.depend(graphs.get(rel.target_id)!.whole, stub);
    }
  }
  return graphs;
}
