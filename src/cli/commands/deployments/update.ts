// `cfy deployments update DEP (-b BP | -p PATH | -i INPUTS)`, `history` and `get-update`
// (cfy-cli.md A.8; the 5.1 CLI's manager_update, manager_history, manager_get_update and
// _print_single_update): start the update, then follow the `update` execution's events; with
// --preview, print what the update would do.
import type { DeploymentUpdate } from '../../client/deployment-updates.js';
import type { Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import { parseInputs } from '../../inputs.js';
import { upload } from '../blueprints/upload.js';
import { follow } from '../executions/follow.js';
import { type ListOpts, listParams } from '../shared.js';

const UPDATE_COLUMNS = [
  'id',
  'deployment_id',
  'tenant_name',
  'state',
  'execution_id',
  'created_at',
  'visibility',
  'old_blueprint_id',
  'new_blueprint_id',
];
const PREVIEW_COLUMNS = UPDATE_COLUMNS.filter((c) => c !== 'id' && c !== 'execution_id');
const JSON_EXTRA = [
  'old_inputs',
  'new_inputs',
  'steps',
  'modified_entity_ids',
  'installed_nodes',
  'uninstalled_nodes',
  'reinstalled_nodes',
  'explicit_reinstall',
  'recursive_dependencies',
];
const STEPS_COLUMNS = ['entity_type', 'entity_id', 'action'];
const DEPENDENCIES_COLUMNS = ['deployment', 'dependency_type', 'dependent_node', 'tenant'];

export interface UpdateOpts {
  blueprintPath?: string;
  blueprintFilename?: string;
  blueprintId?: string;
  inputs?: string[];
  reinstallList?: string[];
  workflowId?: string;
  skipInstall?: boolean;
  skipUninstall?: boolean;
  skipReinstall?: boolean;
  ignoreFailure?: boolean;
  installFirst?: boolean;
  preview?: boolean;
  dontUpdatePlugins?: boolean;
  force?: boolean;
  tenantName?: string;
  visibility: Visibility;
  validate?: boolean;
  includeLogs: boolean;
  jsonOutput?: boolean;
  runtimeOnlyEvaluation?: boolean;
}

interface PrintOpts {
  explicit?: string[];
  preview?: boolean;
  skipInstall?: boolean;
  skipUninstall?: boolean;
  skipReinstall?: boolean;
}

/** _print_single_update: the update row, its inputs, steps, and the nodes it (re)installs. */
function printUpdate(c: Ctx, u: DeploymentUpdate, o: PrintOpts = {}): void {
  const nodes = { add: [] as string[], remove: [] as string[], modify: [] as string[] };
  for (const s of u.steps ?? []) {
    const [kind, name] = s.entity_id.split(':');
    if (kind === 'nodes' && s.action in nodes) nodes[s.action as keyof typeof nodes].push(name);
  }
  const row = {
    ...u,
    explicit_reinstall: o.explicit ?? [],
    installed_nodes: nodes.add,
    uninstalled_nodes: nodes.remove,
    reinstalled_nodes: nodes.modify,
  };
  const columns = o.preview ? PREVIEW_COLUMNS : UPDATE_COLUMNS;
  if (c.out.json) {
    c.out.single('Deployment Update:', [...columns, ...JSON_EXTRA], row);
    return;
  }
  c.out.single('Deployment Update:', columns, row);
  const skip = (on?: boolean) => (on ? ' (will be skipped)' : '');
  c.out.details('Old inputs:', u.old_inputs ?? {});
  c.out.details('New inputs:', u.new_inputs ?? {});
  c.out.table('Steps:', STEPS_COLUMNS, u.steps ?? []);
  const list = (title: string, items: string[]) =>
    c.out.print([title, ...items.map((i) => `\t- ${i}`)].join('\n'));
  list(`Installed nodes${skip(o.skipInstall)}:`, nodes.add);
  list(`Uninstalled nodes${skip(o.skipUninstall)}:`, nodes.remove);
  list(`Automatically detected nodes to reinstall${skip(o.skipReinstall)}:`, nodes.modify);
  list('Expicitly given nodes to reinstall:', o.explicit ?? []);
  c.out.table(
    'Affected (recursively) dependent deployments:',
    DEPENDENCIES_COLUMNS,
    (u.recursive_dependencies as unknown[]) ?? [],
  );
}

async function uploadFirst(c: Ctx, o: UpdateOpts): Promise<string> {
  c.out.warn(
    'DEPRECATED: passing a path to blueprint for deployment update is deprecated, and it is recommended instead to pass an id of a blueprint that is already in the system. Note that the blueprint passed will be added to the system and then deployment update will start.',
  );
  const id = await upload(c, { ...o, blueprintId: o.blueprintId }, o.blueprintPath!);
  c.out.info(`Blueprint uploaded. The blueprint's id is ${id}`);
  return id;
}

export async function run(c: Ctx, o: UpdateOpts, deploymentId: string): Promise<void> {
  const inputs = parseInputs(o.inputs);
  if (!o.blueprintId && !o.blueprintPath && !o.inputs?.length) {
    throw usageError(
      'Must supply either a blueprint (by id of an existing blueprint, or a path to a new blueprint), or new inputs',
      'pass -b <blueprint id>, -p <blueprint path> or -i <inputs>',
    );
  }
  const blueprintId = o.blueprintPath ? await uploadFirst(c, o) : o.blueprintId;
  let msg = `Updating deployment ${deploymentId}`;
  if (o.inputs?.length) msg += ' with new inputs';
  if (blueprintId) msg += `, using blueprint ${blueprintId}`;
  c.out.info(msg);
  const client = c.client({ tenant: o.tenantName });
  const reinstallList = o.reinstallList ?? [];
  const u = await client.deploymentUpdates.update(deploymentId, {
    blueprintId,
    inputs,
    skipInstall: !!o.skipInstall,
    skipUninstall: !!o.skipUninstall,
    skipReinstall: !!o.skipReinstall,
    workflowId: o.workflowId,
    force: !!o.force,
    ignoreFailure: !!o.ignoreFailure,
    installFirst: !!o.installFirst,
    reinstallList,
    preview: !!o.preview,
    updatePlugins: !o.dontUpdatePlugins,
    runtimeOnlyEvaluation: o.runtimeOnlyEvaluation ? true : undefined,
  });
  if (o.preview) {
    printUpdate(c, u, { ...o, explicit: reinstallList, preview: true });
    return;
  }
  const ex = await follow(c, client, u.execution_id!, {
    includeLogs: o.includeLogs,
    jsonEvents: Boolean(o.jsonOutput),
  });
  c.out.clearProgress();
  const ids = `Deployment update id: ${u.id}. Execution id: ${ex.id}`;
  if (ex.error || ex.status !== 'terminated') {
    c.out.info(
      `Execution of workflow '${ex.workflow_id}' for deployment '${ex.deployment_id}' failed. [error=${ex.error ?? ex.status}]`,
    );
    throw new CliError(`Failed updating deployment ${deploymentId}. ${ids}`, {
      fix: `Run 'cfy events list ${ex.id}' to see why`,
    });
  }
  c.out.info(`Finished executing workflow '${ex.workflow_id}' on deployment '${ex.deployment_id}'`);
  c.out.info(`Successfully updated deployment ${deploymentId}. ${ids}`);
}

export async function history(c: Ctx, o: ListOpts & { deploymentId?: string }): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(
    o.deploymentId
      ? `Listing deployment updates for deployment ${o.deploymentId}...`
      : 'Listing all deployment updates...',
  );
  const r = await client.deploymentUpdates.list(listParams(o, { deployment_id: o.deploymentId }));
  c.out.table('Deployment updates:', UPDATE_COLUMNS, r.items, {
    total: r.metadata.pagination.total,
    what: 'deployment updates',
  });
}

export async function getUpdate(c: Ctx, o: { tenantName?: string }, id: string): Promise<void> {
  c.out.info(`Retrieving deployment update ${id}...`);
  printUpdate(c, await c.client({ tenant: o.tenantName }).deploymentUpdates.get(id));
}
