// The reference's walk over a plan's function sites (scan.scan_service_template): node properties,
// node capabilities, operation inputs, relationship operation inputs, outputs, policy and scaling-group
// properties, capabilities, labels, deployment_settings, with its paths (`a.b`, `a[0]`).
import { functionName } from './functions.js';
import { isDict } from './schema.js';

export type Site =
  | { scope: 'node'; node: string }
  | { scope: 'relationship'; node: string; target: string; relType: string }
  | { scope: 'other' };

export type Visit = (f: string, args: unknown, path: string, site: Site) => void;

/** `post`: a function is visited after the functions in its arguments (the evaluation handlers' order). */
export function scanPlan(plan: Record<string, any>, visit: Visit, post = false): void {
  const value = (v: unknown, path: string, site: Site): void => {
    const f = functionName(v);
    if (f !== undefined && !post) visit(f, (v as Record<string, unknown>)[f], path, site);
    props(v, path, site);
    if (f !== undefined && post) visit(f, (v as Record<string, unknown>)[f], path, site);
  };
  const props = (v: unknown, path: string, site: Site): void => {
    if (isDict(v)) for (const [k, c] of Object.entries(v)) value(c, `${path}.${k}`, site);
    else if (Array.isArray(v)) for (const [i, c] of v.entries()) value(c, `${path}[${i}]`, site);
  };
  const ops = (o: Record<string, any> | undefined, path: string, site: Site) => {
    for (const [name, d] of Object.entries(o ?? {}))
      if (isDict(d) && 'inputs' in d) props(d.inputs, `${path}.${name}.inputs`, site);
  };
  for (const n of plan.nodes ?? []) {
    const site: Site = { scope: 'node', node: n.name };
    props(n.properties, `nodes.${n.name}.properties`, site);
    for (const [c, cap] of Object.entries<any>(n.capabilities ?? {}))
      props(cap?.properties ?? {}, `nodes.${n.name}.capabilities.${c}`, site);
    ops(n.operations, `nodes.${n.name}.operations`, site);
    for (const r of n.relationships ?? []) {
      const rel: Site = { scope: 'relationship', node: n.name, target: r.target_id, relType: r.type };
      ops(r.source_operations, `nodes.${n.name}.${r.type}`, rel);
      ops(r.target_operations, `nodes.${n.name}.${r.type}`, rel);
    }
  }
  const other: Site = { scope: 'other' };
  for (const [k, o] of Object.entries<any>(plan.outputs ?? {})) props(o, `outputs.${k}`, other);
  for (const [k, p] of Object.entries<any>(plan.policies ?? {}))
    props(p?.properties ?? {}, `policies.${k}.properties`, other);
  for (const [k, g] of Object.entries<any>(plan.scaling_groups ?? {}))
    props(g?.properties ?? {}, `scaling_groups.${k}.properties`, other);
  for (const [k, c] of Object.entries<any>(plan.capabilities ?? {})) props(c, `capabilities.${k}`, other);
  for (const [k, l] of Object.entries<any>(plan.labels ?? {})) props(l, `labels.${k}`, other);
  props(plan.deployment_settings, 'deployment_settings', other);
}
