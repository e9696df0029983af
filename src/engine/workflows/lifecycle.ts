// Per-instance install/uninstall sequences (dsl-and-workflows.md §3.2, §3.4, §3.8.1; Cloudify
// 5.1.2 lifecycle.py), flattened into the graph; the order between instances is lifecycle-order.ts.

import { EMPTY, type Fragment, isEmpty } from '../graph.js';
import type { PlanNodeInstance, PlanNodeInstanceRelationship } from '../plan-types.js';
import { LIFECYCLE, REL_LIFECYCLE, type WorkflowContext } from './context.js';

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

// Which steps an instance's current state leaves out (lifecycle.py, 5.1.2).
const NO_CREATE_VALIDATION = new Set([
  'started',
  'starting',
  'created',
  'creating',
  'configured',
  'configuring',
]);
const NO_CREATE = new Set(['started', 'starting', 'created', 'configuring', 'configured']);
const NO_CONFIGURE = new Set(['started', 'starting', 'configured']);
const NO_STOP = new Set(['stopped', 'deleting', 'deleted', 'uninitialized']);
const NO_STOPPED_STATE = new Set(['stopped', 'deleting', 'deleted']);
const NO_DELETE = new Set(['deleted', 'uninitialized']);
const COMPUTE = 'cloudify.nodes.Compute';

/** Builders shared by the install and uninstall sequences of one instance. */
function instanceSteps(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  subgraph: string,
  ignoreFailure = false,
) {
  const b = ctx.b;
  const after = new Map<string, Fragment>();
  const ops = ctx.node(inst).operations ?? {};
  const ev = (text: string) => () => ctx.event(inst, text, subgraph);
  const state = (s: string) => () => ctx.setState(inst, s, subgraph);
  const both = (first: () => Fragment, second: () => Fragment) => () => b.forkjoin([first(), second()]);
  /** _skip_nop_operations: a NOP step takes its pre and post tasks with it. */
  const wrap = (task: Fragment, pre?: () => Fragment, post?: () => Fragment, opName?: string): Fragment => {
    if (isEmpty(task)) return EMPTY;
    const p = pre ? pre() : EMPTY;
    const q = post ? post() : EMPTY;
    if (opName) after.set(opName, isEmpty(q) ? task : q);
    return b.sequence([p, task, q]);
  };
  const op = (opName: string, pre?: () => Fragment, post?: () => Fragment) =>
    wrap(ctx.lifecycle(inst, opName, subgraph, ignoreFailure), pre, post, opName);
  /** Steps that exist only when the node's type declares the operation (5.0 and later). */
  const declaredOp = (opName: string, pre?: () => Fragment, post?: () => Fragment) =>
    opName in ops ? op(opName, pre, post) : EMPTY;
  const rels = (opName: string, pre: string, post: string, reverse = false) =>
    wrap(relationshipOps(ctx, inst, opName, subgraph, { reverse, ignoreFailure }), ev(pre), ev(post));
  /** A step, or this text when the step is absent. */
  const or = (f: Fragment, text: string) => (isEmpty(f) ? ev(text)() : f);
  return { b, after, ev, state, both, op, declaredOp, rels, or };
}

/** install_node_instance_subgraph (§3.2, §3.8.1): steps, event texts and resume skips of 5.1.2. */
export function installInstance(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  subgraph: string,
): InstanceGraph {
  const st = inst.state ?? 'uninitialized';
  const { b, after, ev, state, both, op, declaredOp, rels, or } = instanceSteps(ctx, inst, subgraph);
  const E = () => EMPTY;
  const [validate, precreate] = NO_CREATE_VALIDATION.has(st)
    ? [EMPTY, EMPTY]
    : [
        declaredOp(
          V_CREATE,
          ev('Validating node instance before creation'),
          ev('Node instance validated before creation'),
        ),
        declaredOp(L('precreate'), ev('Precreating node instance'), ev('Node instance precreated')),
      ];
  const create = NO_CREATE.has(st)
    ? EMPTY
    : op(
        L('create'),
        both(ev('Creating node instance'), state('creating')),
        both(ev('Node instance created'), state('created')),
      );
  const [preconf, configure] = NO_CONFIGURE.has(st)
    ? [EMPTY, EMPTY]
    : [
        rels(R('preconfigure'), 'Pre-configuring relationships', 'Relationships pre-configured'),
        op(
          L('configure'),
          both(state('configuring'), ev('Configuring node instance')),
          both(state('configured'), ev('Node instance configured')),
        ),
      ];
  const started = st === 'started';
  const postconf = started
    ? EMPTY
    : rels(R('postconfigure'), 'Post-configuring relationships', 'Relationships post-configured');
  const start = started ? EMPTY : op(L('start'), both(state('starting'), ev('Starting node instance')), E);
  const poststart = started
    ? EMPTY
    : declaredOp(L('poststart'), ev('Poststarting node instance'), ev('Node instance poststarted'));
  const monitoring = started ? EMPTY : op(M_START);
  const establish = started
    ? EMPTY
    : rels(R('establish'), 'Establishing relationships', 'Relationships established');
  // A host node always has its (agent-less here) post-start steps, so it never counts as "nothing to do".
  const host = !started && ctx.node(inst).type_hierarchy.includes(COMPUTE);
  const steps = [
    validate,
    precreate,
    create,
    preconf,
    configure,
    postconf,
    start,
    poststart,
    monitoring,
    establish,
  ];
  if (!host && steps.every(isEmpty)) {
    return { whole: both(state('started'), ev('Node instance started (nothing to do)'))(), after };
  }
  const whole = b.sequence([
    state('initializing')(),
    or(validate, 'Validating node instance before creation: nothing to do'),
    or(precreate, 'Precreating node instance: nothing to do'),
    or(create, 'Creating node instance: nothing to do'),
    preconf,
    or(configure, 'Configuring node instance: nothing to do'),
    postconf,
    or(start, 'Starting node instance: nothing to do'),
    or(poststart, 'Poststarting node instance: nothing to do'),
    monitoring,
    establish,
    both(state('started'), ev('Node instance started'))(),
  ]);
  return { whole, after };
}

/** uninstall_node_instance_subgraph (§3.4, §3.8.1): steps, event texts and skips of 5.1.2. */
export function uninstallInstance(
  ctx: WorkflowContext,
  inst: PlanNodeInstance,
  subgraph: string,
  ignoreFailure = false,
): InstanceGraph {
  const st = inst.state ?? 'uninitialized';
  const { b, after, ev, state, both, op, declaredOp, rels, or } = instanceSteps(
    ctx,
    inst,
    subgraph,
    ignoreFailure,
  );
  const running = !NO_STOP.has(st);
  const stopping = running ? both(state('stopping'), ev('Stopping node instance'))() : EMPTY;
  const validate = running
    ? declaredOp(
        V_DELETE,
        ev('Validating node instance before deletion'),
        ev('Node instance validated before deletion'),
      )
    : EMPTY;
  const monitoring = running ? op(M_STOP) : EMPTY;
  const prestop = running
    ? declaredOp(L('prestop'), ev('Prestopping node instance'), ev('Node instance prestopped'))
    : EMPTY;
  const stop = running
    ? op(L('stop'), undefined, ev('Stopped node instance'))
    : ev(`Stop: instance already ${st}`)();
  const stopped = NO_STOPPED_STATE.has(st) ? EMPTY : state('stopped')();
  const present = !NO_DELETE.has(st);
  const unlink = present
    ? rels(R('unlink'), 'Unlinking relationships', 'Relationships unlinked', true)
    : EMPTY;
  const del = present
    ? op(L('delete'), both(state('deleting'), ev('Deleting node instance')))
    : ev(`Delete: instance already ${st}`)();
  const postdelete = present
    ? declaredOp(L('postdelete'), ev('Postdeleting node instance'), ev('Node instance postdeleted'))
    : EMPTY;
  const finish = st === 'deleted' ? EMPTY : both(state('deleted'), ev('Deleted node instance'))();
  const whole = b.sequence([
    stopping,
    or(validate, 'Validating node instance after deletion: nothing to do'),
    monitoring,
    prestop,
    or(stop, 'Stopped node instance: nothing to do'),
    stopped,
    unlink,
    or(del, 'Deleting node instance: nothing to do'),
    postdelete,
    finish,
  ]);
  return { whole, after };
}
