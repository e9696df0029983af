// `cfy agents list` (GET /agents with 5.1's filters) and `cfy tokens get` (GET /tokens).
import type { Ctx } from '../../context.js';

const COLUMNS = ['id', 'ip', 'deployment', 'node', 'system', 'version', 'install_method', 'tenant_name'];

interface Filters {
  nodeInstanceId?: string[];
  nodeId?: string[];
  installMethod?: string[];
  deploymentId?: string[];
  allTenants?: boolean;
  tenantName?: string;
}

export async function list(c: Ctx, o: Filters): Promise<void> {
  if (o.tenantName) c.out.info(`Explicitly using tenant \`${o.tenantName}\``);
  const r = await c.client({ tenant: o.tenantName }).agents({
    node_ids: o.nodeId,
    node_instance_ids: o.nodeInstanceId,
    deployment_id: o.deploymentId,
    install_methods: o.installMethod,
    _all_tenants: o.allTenants || undefined,
  });
  c.out.info('Listing agents...');
  c.out.table('Agents:', COLUMNS, r.items);
}

export async function token(c: Ctx): Promise<void> {
  c.out.info('Retrieving REST token');
  c.out.single('REST token', ['role', 'value'], await c.client().token());
}
