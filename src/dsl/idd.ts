// Inter-deployment dependencies of a deployment plan (tasks.py `_find_idd_creating_functions` and
// `_format_idds`): every `get_capability` left in the evaluated plan becomes one record per instance of
// the node it sits in (or one record without context outside nodes), named by its path in the plan.
import { functionName } from './functions.js';
import { type Site, scanPlan } from './plan-scan.js';

interface Spec {
  site: Site;
  identifier: string;
  targetDeployment: [unknown, unknown];
}

/** The `inter_deployment_functions` records of a deployment plan with its node instances. */
export function interDeploymentFunctions(dp: Record<string, any>): Record<string, unknown>[] {
  const specs: Spec[] = [];
  scanPlan(
    dp,
    (f, args, path, site) => {
      if (f !== 'get_capability' || !Array.isArray(args)) return;
      const first = args[0];
      const targetDeployment: [unknown, unknown] = [functionName(first) !== undefined ? null : first, first];
      specs.push({ site, identifier: `${path}.${f}`, targetDeployment });
    },
    true,
  );
  const byNode = new Map<string, any[]>();
  for (const ni of dp.node_instances ?? []) byNode.set(ni.node_id, [...(byNode.get(ni.node_id) ?? []), ni]);
  const out: Record<string, unknown>[] = [];
  for (const { site, identifier, targetDeployment } of specs) {
    const base = { function_identifier: identifier, target_deployment: targetDeployment };
    if (site.scope === 'other') {
      out.push({ ...base, context: {} });
      continue;
    }
    for (const ni of byNode.get(site.node) ?? []) {
      if (site.scope === 'node') {
        out.push({ ...base, context: { self: ni.id } });
        continue;
      }
      const rel = (ni.relationships ?? []).find(
        (r: any) => r.target_name === site.target && r.type === site.relType,
      );
      out.push({ ...base, context: { self: ni.id, source: ni.id, target: rel?.target_id ?? null } });
    }
  }
  return out;
}
