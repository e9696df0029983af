// Runs the shared dsl fixtures (../shared/fixtures/dsl, format in its README) against src/dsl.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import {
  createDeploymentPlan,
  DslError,
  type ImportResolver,
  parseBlueprint,
  prepareDeploymentPlan,
  type UrlRule,
} from '../../src/dsl/index.js';
import { compareDeployment, comparePlan, diff } from './plan-compare.js';

export interface CaseResult {
  name: string;
  ok: boolean;
  detail?: string;
  /** Our plan and deployment plan, when built (for debugging a failure). */
  plan?: unknown;
  deployment?: unknown;
}

type Json = any;

function makeResolver(
  c: Json,
  fixturesDir: string,
): { resolver: ImportResolver; rules: UrlRule[]; fallback: boolean } {
  const files: Record<string, string> = c.files ?? {};
  const r = c.resolver ?? { rules: [], fallback: true };
  const rules: UrlRule[] = (r.rules ?? []).map((o: Record<string, string>) => {
    const [k, v] = Object.entries(o)[0];
    return [
      k,
      v.startsWith('resources/')
        ? `res:${v.slice('resources/'.length)}`
        : v.startsWith('fixture:')
          ? v.slice(8)
          : v,
    ];
  });
  const responses: Record<string, string> = r.responses ?? {};
  const resolver: ImportResolver = {
    read(loc) {
      if (loc.startsWith('res:')) {
        try {
          return readFileSync(join(fixturesDir, 'resources', loc.slice(4)), 'utf8');
        } catch {
          return undefined;
        }
      }
      if (loc in responses) return responses[loc];
      if (/^\w+:\/\//.test(loc)) return undefined; // no network
      const p = posix.normalize(loc.startsWith('file:') ? loc.slice(5) : loc);
      return files[p];
    },
  };
  return { resolver, rules, fallback: r.fallback ?? true };
}

const byName = (list: string[]) => [...list].sort();

export function summarize(plan: Json): Json {
  const nodes: Json = {};
  for (const n of plan.nodes) {
    const s = n.capabilities?.scalable?.properties ?? {};
    nodes[n.name] = {
      type: n.type,
      type_hierarchy: n.type_hierarchy,
      relationships: n.relationships.map((r: Json) => [r.type, r.target_id]),
      instances: s.default_instances,
      scalable: {
        default_instances: s.default_instances,
        min_instances: s.min_instances,
        max_instances: s.max_instances,
      },
      ...(n.host_id !== undefined ? { host_id: n.host_id } : {}),
    };
  }
  const plugins = new Set<string>();
  for (const n of plan.nodes) for (const p of n.plugins ?? []) plugins.add(p.name);
  for (const p of plan.workflow_plugins_to_install ?? []) plugins.add(p.name);
  const sg: Json = {};
  for (const [g, d] of Object.entries<Json>(plan.scaling_groups ?? {}))
    sg[g] = { ...d, members: byName(d.members) };
  return {
    version: plan.version.raw,
    nodes,
    inputs: plan.inputs,
    outputs: byName(Object.keys(plan.outputs ?? {})),
    capabilities: byName(Object.keys(plan.capabilities ?? {})),
    workflows: byName(Object.keys(plan.workflows ?? {})),
    plugins: byName([...plugins]),
    relationship_types: byName(Object.keys(plan.relationships ?? {})),
    groups: byName(Object.keys(plan.groups ?? {})),
    scaling_groups: sg,
  };
}

export function summarizeDeployment(dp: Json): Json {
  const counts: Json = {};
  const nodeOf = new Map<string, string>();
  for (const i of dp.node_instances) {
    counts[i.node_id] = (counts[i.node_id] ?? 0) + 1;
    nodeOf.set(i.id, i.node_id);
  }
  const hosts: Json = {};
  const edges = new Map<string, number>();
  const sgIds: Record<string, Set<string>> = {};
  for (const i of dp.node_instances) {
    if (i.host_id) hosts[i.node_id] = nodeOf.get(i.host_id);
    for (const r of i.relationships ?? []) {
      const k = JSON.stringify([i.node_id, r.type, r.target_name]);
      edges.set(k, (edges.get(k) ?? 0) + 1);
    }
    for (const g of i.scaling_groups ?? []) {
      const ids = sgIds[g.name] ?? new Set<string>();
      sgIds[g.name] = ids;
      ids.add(g.id);
    }
  }
  return {
    inputs: dp.inputs,
    node_instances: counts,
    hosts,
    relationship_edges: [...edges.entries()]
      .map(([k, v]) => [...JSON.parse(k), v])
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
    scaling_group_instances: Object.fromEntries(Object.entries(sgIds).map(([k, v]) => [k, v.size])),
  };
}

const errText = (e: unknown) =>
  e instanceof DslError
    ? `${e.errorClass}(${e.code}): ${e.message.slice(0, 160)}`
    : `crash: ${(e as Error)?.stack?.slice(0, 300)}`;

export function runCase(c: Json, fixturesDir: string): CaseResult {
  const { resolver, rules, fallback } = makeResolver(c, fixturesDir);
  const blueprintImports: Record<string, { file: string; location?: boolean }> =
    c.resolver?.blueprint_imports ?? {};
  const want = c.expect;
  let plan: Json;
  try {
    plan = parseBlueprint({
      mainFile: c.parse.location || c.parse.entry === 'parse_from_path' ? c.main : null,
      mainText: c.parse.entry === 'parse' ? c.files[c.main] : undefined,
      resolver,
      urlRules: rules,
      fallback,
      resourcesBasePath: c.parse.resources_base_path ?? null,
      validateVersion: c.parse.validate_version ?? true,
      resolverOfBlueprints: {
        read(id) {
          const f = blueprintImports[`blueprint:${id}`];
          if (f === undefined || c.files[f.file] === undefined) return undefined;
          return { text: c.files[f.file], location: f.location ? f.file : undefined };
        },
      },
    });
  } catch (e) {
    if (
      want.error &&
      e instanceof DslError &&
      e.errorClass === want.error.class &&
      e.code === want.error.err_code
    ) {
      return { name: c.name, ok: true };
    }
    return {
      name: c.name,
      ok: false,
      detail: `parse: ${errText(e)}${want.error ? ` want ${want.error.class}(${want.error.err_code})` : ''}`,
    };
  }
  if (want.error)
    return { name: c.name, ok: false, detail: `parsed, want ${want.error.class}(${want.error.err_code})` };
  const d = diff(summarize(plan), want.summary);
  if (d) return { name: c.name, ok: false, detail: `summary ${d}` };
  const pd = want.plan ? comparePlan(plan, want.plan) : undefined;
  if (pd) return { name: c.name, ok: false, detail: `plan ${pd}`, plan };
  if (!c.deployment) return { name: c.name, ok: true };
  let n = 0;
  const secrets: Record<string, string> | null = c.deployment.secrets ?? null;
  let dp: Json;
  try {
    const idGenerator = (p: string) => `${p}_${String(++n).padStart(6, '0')}`;
    dp =
      c.deployment.via === 'create_deployment_plan'
        ? createDeploymentPlan(plan, { idGenerator })
        : prepareDeploymentPlan(plan, c.inputs ?? {}, {
            idGenerator,
            secretExists: secrets ? (s) => secrets[s] === 'exists' : undefined,
            autoCorrectTypes: c.deployment.auto_correct_types ?? false,
            runtimeOnlyEvaluation: c.deployment.runtime_only_evaluation ?? false,
          });
  } catch (e) {
    const w = want.deployment_error;
    if (w && e instanceof DslError && e.errorClass === w.class && e.code === w.err_code)
      return { name: c.name, ok: true };
    return {
      name: c.name,
      ok: false,
      detail: `deployment: ${errText(e)}${w ? ` want ${w.class}(${w.err_code})` : ''}`,
    };
  }
  if (want.deployment_error)
    return { name: c.name, ok: false, detail: `deployed, want ${want.deployment_error.class}` };
  const dd =
    diff(summarizeDeployment(dp), want.deployment_summary) ??
    (want.deployment_plan ? compareDeployment(dp, want.deployment_plan, want.plan) : undefined);
  return dd
    ? { name: c.name, ok: false, detail: `deployment ${dd}`, plan, deployment: dp }
    : { name: c.name, ok: true };
}

export function runFixtureDir(dir: string): { file: string; results: CaseResult[] }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const data = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return { file: f, results: data.cases.map((c: Json) => runCase(c, dir)) };
    });
}
