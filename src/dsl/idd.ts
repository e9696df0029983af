// Inter-deployment dependencies of a deployment plan (tasks.py `_find_idd_creating_functions` and
// `_format_idds`): every `get_capability` left in the evaluated plan becomes one record per instance of
// the node it sits in (or one record without context outside nodes), named by its path in the plan.
import { functionName } from './functions.js';
import { isDict } from './schema.js';

interface Spec {
  scope: 'node' | 'relationship' | 'other';
  node?: string;
  target?: string;
  relType?: string;
  identifier: string;
  targetDeployment: [unknown, unknown];
}

/** Visits every function in `v` the way the reference's scanner paths them (`a.b`, `a[0]`). */
function scan(v: unknown, path: string, found: (f: string, args: unknown, path: string) => void): void {
  const children = (x: unknown) => {
    if (isDict(x)) for (const [k, c] of Object.entries(x)) scan(c, `${path}.${k}`, found);
    else if (Array.isArray(x)) for (const [i, c] of x.entries()) scan(c, `${path}[${i}]`, found);
  };
  children(v);
  const f = functionName(v);
  if (f !== undefined) found(f, (v as Record<string, unknown>)[f], path);
}

function collect(dp: Record<string, any>): Spec[] {
  const specs: Spec[] = [];
  const at =
    (base: Omit<Spec, 'identifier' | 'targetDeployment'>) => (f: string, args: unknown, path: string) => {
      if (f !== 'get_capability' || !Array.isArray(args)) return;
      const first = args[0];
      specs.push({
        ...base,
        identifier: `${path}.${f}`,
        targetDeployment: [functionName(first) !== undefined ? null : first, first],
      });
    };
  const props = (v: unknown, path: string, found: ReturnType<typeof at>) => {
    if (isDict(v)) for (const [k, c] of Object.entries(v)) scan(c, `${path}.${k}`, found);
    else if (Array.isArray(v)) for (const [i, c] of v.entries()) scan(c, `${path}[${i}]`, found);
  };
  const ops = (o: Record<string, any> | undefined, path: string, found: ReturnType<typeof at>) => {
    for (const [name, d] of Object.entries(o ?? {}))
      if (isDict(d) && 'inputs' in d) props(d.inputs, `${path}.${name}.inputs`, found);
  };
  for (const n of dp.nodes ?? []) {
    const onNode = at({ scope: 'node', node: n.name });
    props(n.properties, `nodes.${n.name}.properties`, onNode);
    for (const [c, cap] of Object.entries<any>(n.capabilities ?? {}))
      props(cap?.properties ?? {}, `nodes.${n.name}.capabilities.${c}`, onNode);
    ops(n.operations, `nodes.${n.name}.operations`, onNode);
    for (const r of n.relationships ?? []) {
      const onRel = at({ scope: 'relationship', node: n.name, target: r.target_id, relType: r.type });
      ops(r.source_operations, `nodes.${n.name}.${r.type}`, onRel);
      ops(r.target_operations, `nodes.${n.name}.${r.type}`, onRel);
    }
  }
  const other = at({ scope: 'other' });
  for (const [k, o] of Object.entries<any>(dp.outputs ?? {})) props(o, `outputs.${k}`, other);
  for (const [k, p] of Object.entries<any>(dp.policies ?? {}))
    props(p?.properties ?? {}, `policies.${k}.properties`, other);
  for (const [k, g] of Object.entries<any>(dp.scaling_groups ?? {}))
    props(g?.properties ?? {}, `scaling_groups.${k}.properties`, other);
  for (const [k, c] of Object.entries<any>(dp.capabilities ?? {})) props(c, `capabilities.${k}`, other);
  for (const [k, l] of Object.entries<any>(dp.labels ?? {})) props(l, `labels.${k}`, other);
  props(dp.deployment_settings, 'deployment_settings', other);
  return specs;
}

/** The `inter_deployment_functions` records of a deployment plan with its node instances. */
export function interDeploymentFunctions(dp: Record<string, any>): Record<string, unknown>[] {
  const byNode = new Map<string, any[]>();
  for (const ni of dp.node_instances ?? []) byNode.set(ni.node_id, [...(byNode.get(ni.node_id) ?? []), ni]);
  const out: Record<string, unknown>[] = [];
  for (const s of collect(dp)) {
    const base = { function_identifier: s.identifier, target_deployment: s.targetDeployment };
    if (s.scope === 'other') {
      out.push({ ...base, context: {} });
      continue;
    }
    for (const ni of byNode.get(s.node ?? '') ?? []) {
      if (s.scope === 'node') {
        out.push({ ...base, context: { self: ni.id } });
        continue;
      }
      const rel = (ni.relationships ?? []).find(
        (r: any) => r.target_name === s.target && r.type === s.relType,
      );
      out.push({ ...base, context: { self: ni.id, source: ni.id, target: rel?.target_id ?? null } });
    }
  }
  return out;
}
