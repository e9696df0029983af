// `cfy install`: blueprints upload + deployments create + executions start install, in one go.
import { existsSync } from 'node:fs';
import type { Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { create } from '../deployments/create.js';
import type { StartOpts } from '../executions/start.js';
import { startAndFollow } from '../executions/start.js';
import { upload } from '../blueprints/upload.js';

interface InstallOpts extends Omit<StartOpts, 'deploymentId'> {
  blueprintId?: string;
  deploymentId?: string;
  blueprintFilename?: string;
  inputs?: string[];
  workflowId: string;
  validate?: boolean;
  visibility: Visibility;
}

export async function run(c: Ctx, o: InstallOpts, path?: string): Promise<void> {
  let blueprintId = o.blueprintId;
  if (path || !blueprintId) {
    const p = path ?? 'blueprint.yaml';
    if (!path && !existsSync(p))
      throw usageError(
        'No blueprint path given and there is no blueprint.yaml here',
        'give a blueprint path, or -b <uploaded blueprint id>',
      );
    blueprintId = await upload(c, { ...o, tenantName: o.tenantName }, p);
    c.out.info(`Blueprint uploaded. The blueprint's id is ${blueprintId}`);
  }
  const deploymentId = await create(
    c,
    { blueprintId: blueprintId!, inputs: o.inputs, visibility: o.visibility, tenantName: o.tenantName },
    o.deploymentId,
  );
  await startAndFollow(c, c.client({ tenant: o.tenantName }), o.workflowId, { ...o, deploymentId });
}
