import type { Visibility } from '../../client/types.js';
import type { Ctx } from '../../context.js';
import { parseInputs } from '../../inputs.js';

export interface CreateOpts {
  blueprintId: string;
  inputs?: string[];
  siteName?: string;
  skipPluginsValidation?: boolean;
  runtimeOnlyEvaluation?: boolean;
  visibility: Visibility;
  tenantName?: string;
}

export async function create(c: Ctx, o: CreateOpts, deploymentId?: string): Promise<string> {
  const inputs = parseInputs(o.inputs);
  const id = deploymentId ?? o.blueprintId;
  const client = c.client({ tenant: o.tenantName });
  c.out.info(`Creating new deployment from blueprint ${o.blueprintId}...`);
  await client.deployments.create(id, {
    blueprintId: o.blueprintId,
    inputs,
    visibility: o.visibility,
    siteName: o.siteName,
    skipPluginsValidation: o.skipPluginsValidation,
    runtimeOnlyEvaluation: o.runtimeOnlyEvaluation,
  });
  c.out.info(`Deployment created. The deployment's id is ${id}`);
  return id;
}

export async function run(c: Ctx, o: CreateOpts, deploymentId?: string): Promise<void> {
  const id = await create(c, o, deploymentId);
  if (c.out.json) c.out.jsonValue({ id });
}
