import type { Ctx } from '../../context.js';
import { type ListOpts, listParams } from '../shared.js';
import { EXECUTION_COLUMNS } from './columns.js';

export async function run(
  c: Ctx,
  o: ListOpts & { deploymentId?: string; includeSystemWorkflows?: boolean },
): Promise<void> {
  const client = c.client({ tenant: o.tenantName });
  c.out.info(
    o.deploymentId ? `Listing executions for deployment ${o.deploymentId}...` : 'Listing all executions...',
  );
  const r = await client.executions.list(
    listParams(o, { deployment_id: o.deploymentId }),
    Boolean(o.includeSystemWorkflows),
  );
  c.out.table('Executions:', EXECUTION_COLUMNS, r.items, {
    total: r.metadata.pagination.total,
    what: 'executions',
  });
}
