// What a deployment update changes (5.1.2 deployment update manager: stage, extract steps, commit):
// the new deployment plan with the new inputs, the steps (the diff, src/engine), the nodes added,
// modified and removed, the node instances added and removed (the DSL's multi-instance
// modification, existing instances keep their ids), and the `update` workflow's parameters.
import { badParameters, missingRequiredInput, unsupportedDeploymentUpdate } from '../../common/errors.js';
import { DslError, modifyStored, prepareDeploymentPlan } from '../../dsl/index.js';
import {
  type DiffNode,
  type DiffPlan,
  extractUpdateSteps,
  modifiedEntityIds,
  nodesToReinstall,
  type UpdateStep,
} from '../../engine/index.js';
import type { StoredUpdate, UpdateSource } from '../../store/repositories/deployment-updates.js';
import type { InstanceRow } from '../../store/repositories/node-instances.js';
import { type NodeInsert, type NodeRow, planNodeRow } from '../../store/repositories/nodes.js';

export interface UpdateRequest {
  inputs: Record<string, unknown>;
  reinstall_list: string[];
  skip_install: boolean;
  skip_uninstall: boolean;
  skip_reinstall: boolean;
  ignore_failure: boolean;
  install_first: boolean;
  update_plugins: boolean;
  runtime_only_evaluation: boolean;
}

export interface UpdatePlan {
  newInputs: Record<string, unknown>;
  deploymentPlan: Record<string, any>;
  steps: UpdateStep[];
  modifiedEntityIds: ReturnType<typeof modifiedEntityIds>;
  nodes: StoredUpdate['deployment_update_nodes'];
  nodeInstances: StoredUpdate['deployment_update_node_instances'];
  oldNodes: NodeInsert[];
  /** the `update` workflow's parameters, without update_id */
  parameters: Record<string, unknown>;
}

function prepare(
  src: UpdateSource,
  plan: Record<string, any>,
  inputs: Record<string, unknown>,
  runtimeOnly: boolean,
) {
  const declared = plan.inputs ?? {};
  const unknown = Object.keys(inputs).filter((k) => !(k in declared));
  if (unknown.length) {
    throw badParameters(
      `Unknown input(s) ${JSON.stringify(unknown)} specified: the blueprint declares ${Object.keys(declared).join(', ') || 'none'}`,
    );
  }
  // the deployment's inputs that the new blueprint still declares, overridden by the given ones
  const newInputs: Record<string, unknown> = {};
  for (const k of Object.keys(declared)) if (k in src.inputs) newInputs[k] = src.inputs[k];
  Object.assign(newInputs, inputs);
  const missing = Object.entries<any>(declared)
    .filter(([k, d]) => !(k in newInputs) && !(d && 'default' in d) && d?.required !== false)
    .map(([k]) => k);
  if (missing.length)
    throw missingRequiredInput(`Required input(s) ${JSON.stringify(missing)} were not specified`);
  try {
    const dp = prepareDeploymentPlan(plan as never, newInputs, {
      runtimeOnlyEvaluation: runtimeOnly,
    }) as Record<string, any>;
    return { dp, newInputs };
  } catch (e) {
    if (e instanceof DslError) throw badParameters(`The new deployment plan is invalid: ${e.message}`);
    throw e;
  }
}

const diffNode = (n: Record<string, any>): DiffNode => ({
  type: n.type,
  properties: n.properties ?? {},
  operations: n.operations ?? {},
  relationships: n.relationships ?? [],
  plugins: n.plugins ?? [],
  plugins_to_install: n.plugins_to_install ?? null,
});

function diffPlans(
  src: UpdateSource,
  oldNodes: NodeRow[],
  dp: Record<string, any>,
): { from: DiffPlan; to: DiffPlan } {
  const from: DiffPlan = {
    description: src.description,
    nodes: Object.fromEntries(oldNodes.map((n) => [n.id, diffNode(n)])),
    outputs: src.outputs,
    workflows: src.workflows,
    policy_types: src.policy_types,
    policy_triggers: src.policy_triggers,
    groups: src.groups,
  };
  const to: DiffPlan = {
    description: dp.description ?? null,
    nodes: Object.fromEntries((dp.nodes as Record<string, any>[]).map((n) => [n.id ?? n.name, diffNode(n)])),
    outputs: dp.outputs ?? {},
    workflows: dp.workflows ?? {},
    policy_types: dp.policy_types ?? {},
    policy_triggers: dp.policy_triggers ?? {},
    groups: dp.groups ?? {},
  };
  return { from, to };
}

/** The instances after the update: existing ones keep their ids (and their nodes' current counts). */
function instanceChanges(src: UpdateSource, dp: Record<string, any>, instances: InstanceRow[]) {
  const counts = new Map<string, number>();
  for (const i of instances) counts.set(i.node_id, (counts.get(i.node_id) ?? 0) + 1);
  const res = modifyStored(dp as never, { instances, counts, scalingGroups: src.scaling_groups ?? {} }, {});
  const before = new Map(instances.map((i) => [i.id, i]));
  const after = res.node_instances as unknown as Record<string, any>[];
  const afterIds = new Set(after.map((i) => i.id));
  const added = after
    .filter((i) => !before.has(i.id))
    .map((i) => ({
      id: i.id as string,
      node_id: (i.node_id ?? i.name) as string,
      relationships: i.relationships ?? [],
      host_id: (i.host_id ?? null) as string | null,
      scaling_groups: i.scaling_groups ?? [],
    }));
  const relationships: StoredUpdate['deployment_update_node_instances']['relationships'] = {};
  for (const i of after) {
    const old = before.get(i.id);
    if (old && JSON.stringify(old.relationships) !== JSON.stringify(i.relationships ?? [])) {
      relationships[i.id] = { old: old.relationships, new: i.relationships ?? [] };
      // (stored as they are; the repository merges them while the workflow runs)
    }
  }
  const removed = instances.filter((i) => !afterIds.has(i.id)).map((i) => i.id);
  return { added, removed, relationships, after };
}

/** Stage and diff an update; throws 400s for bad inputs, unsupported changes or a bad reinstall list. */
export function planUpdate(
  src: UpdateSource,
  blueprintPlan: Record<string, any>,
  oldNodes: NodeRow[],
  instances: InstanceRow[],
  req: UpdateRequest,
): UpdatePlan {
  const runtimeOnly = req.runtime_only_evaluation || src.runtime_only_evaluation;
  const { dp, newInputs } = prepare(src, blueprintPlan, req.inputs, runtimeOnly);
  const { from, to } = diffPlans(src, oldNodes, dp);
  const { supported, unsupported } = extractUpdateSteps(from, to);
  if (unsupported.length) {
    throw unsupportedDeploymentUpdate(
      `The blueprint you provided for the deployment update contains changes currently unsupported by the deployment update mechanism.\nUnsupported changes: ${unsupported.map((s) => s.entity_id).join('\n')}`,
    );
  }
  const ni = instanceChanges(src, dp, instances);
  const oldById = new Map(oldNodes.map((n) => [n.id, n]));
  const newNodes = dp.nodes as Record<string, any>[];
  const touched = new Set(
    supported.flatMap((s) => {
      const p = s.entity_id.split(':');
      if (p[0] === 'nodes' && s.entity_type !== 'node') return [p[1]];
      return p[0] === 'plugins' || p[0] === 'plugins_to_install' ? [p[1]] : [];
    }),
  );
  const count = (id: string) => ni.after.filter((i) => (i.node_id ?? i.name) === id).length;
  const nodes = {
    added: newNodes
      .filter((n) => !oldById.has(n.id ?? n.name))
      .map((n) => planNodeRow(n, count(n.id ?? n.name))),
    modified: newNodes.filter((n) => touched.has(n.id ?? n.name)).map((n) => planNodeRow(n)),
    removed: oldNodes.filter((n) => !to.nodes[n.id]).map((n) => n.id),
  };
  const oldNodeDefs = nodes.modified.map((m) => {
    const o = oldById.get(m.id)!;
    return {
      ...m,
      type_hierarchy: o.type_hierarchy,
      properties: o.properties,
      operations: o.operations ?? {},
      relationships: o.relationships ?? [],
      plugins: o.plugins ?? [],
    };
  });
  const addedIds = ni.added.map((i) => i.id);
  const rels = keptRelationships(ni.relationships, new Set(addedIds), new Set(ni.removed));
  const reinstall = reinstallList(req, instances, supported, addedIds, ni.removed);
  const mod = modifiedEntityIds(supported);
  return {
    newInputs,
    deploymentPlan: dp,
    steps: supported,
    modifiedEntityIds: mod,
    nodes,
    nodeInstances: { added: ni.added, removed: ni.removed, relationships: ni.relationships },
    oldNodes: oldNodeDefs,
    parameters: {
      added_instance_ids: addedIds,
      added_target_instances_ids: [],
      removed_instance_ids: ni.removed,
      remove_target_instance_ids: [],
      modified_entity_ids: mod,
      extended_instance_ids: Object.keys(ni.relationships),
      extend_target_instance_ids: [],
      reduced_instance_ids: [],
      reduce_target_instance_ids: [],
      skip_install: req.skip_install,
      skip_uninstall: req.skip_uninstall,
      ignore_failure: req.ignore_failure,
      install_first: req.install_first,
      update_plugins: req.update_plugins,
      central_plugins_to_install: [],
      central_plugins_to_uninstall: [],
      node_instances_to_reinstall: reinstall,
      established_relationships: rels.established,
      unlinked_relationships: rels.unlinked,
    },
  };
}

/** The explicit list (checked as 5.1 does) plus, unless skip_reinstall, the instances of modified nodes. */
function reinstallList(
  req: UpdateRequest,
  instances: InstanceRow[],
  steps: UpdateStep[],
  add: string[],
  remove: string[],
): string[] {
  const ids = new Set(instances.map((i) => i.id));
  const given = req.reinstall_list;
  const notExisting = given.filter((n) => !ids.has(n));
  const addConflict = given.filter((n) => add.includes(n));
  const removeConflict = given.filter((n) => remove.includes(n));
  if (notExisting.length || addConflict.length || removeConflict.length) {
    let msg = 'Invalid reinstall list supplied.';
    if (notExisting.length)
      msg += `\nFollowing node instances do not exist in this deployment: ${notExisting.join(', ')}`;
    if (addConflict.length)
      msg += `\nFollowing node instances are just being added in the update: ${addConflict.join(', ')}`;
    if (removeConflict.length) {
      msg += `\nFollowing node instances are just being removed in the update: ${removeConflict.join(', ')}`;
    }
    throw badParameters(msg);
  }
  if (req.skip_reinstall) return [...given];
  const nodes = new Set(nodesToReinstall(steps));
  const auto = instances.filter((i) => nodes.has(i.node_id) && !remove.includes(i.id)).map((i) => i.id);
  return [...new Set([...given, ...auto])];
}

type Rel = { target_id: string; type: string };
const has = (list: Rel[], r: Rel) => list.some((x) => x.target_id === r.target_id && x.type === r.type);

/** Relationships between kept instances that the update adds (to establish) or removes (to unlink). */
function keptRelationships(
  changes: StoredUpdate['deployment_update_node_instances']['relationships'],
  added: Set<string>,
  removed: Set<string>,
) {
  const established: { source_id: string; target_id: string; type: string }[] = [];
  const unlinked: { source_id: string; target_id: string; type: string }[] = [];
  for (const [source_id, { old, new: now }] of Object.entries(changes)) {
    for (const r of now) {
      if (!has(old, r) && !added.has(r.target_id))
        established.push({ source_id, target_id: r.target_id, type: r.type });
    }
    for (const r of old) {
      if (!has(now, r) && !removed.has(r.target_id))
        unlinked.push({ source_id, target_id: r.target_id, type: r.type });
    }
  }
  return { established, unlinked };
}
