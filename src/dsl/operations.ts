// Interfaces and operations: the type → subtype → template merge rules and the mapping of an
// implementation to a plugin operation or to the script plugin (elements/operation.py).
import { logicError } from './errors.js';
import { isDict } from './schema.js';

export interface OpDef {
  implementation: string;
  inputs: Record<string, any>;
  executor: string | null;
  max_retries: number | null;
  retry_interval: number | null;
  timeout: number | null;
  timeout_recoverable: boolean | null;
}
export type Interfaces = Record<string, Record<string, OpDef>>;

const FIELDS = ['executor', 'max_retries', 'retry_interval', 'timeout', 'timeout_recoverable'] as const;

/** Normalises the short (string) and long (dict) operation forms. */
export function normaliseOp(op: unknown): OpDef {
  const d: Record<string, any> = typeof op === 'string' ? { implementation: op } : isDict(op) ? op : {};
  return {
    implementation: d.implementation ?? '',
    inputs: d.inputs ?? {},
    executor: d.executor ?? null,
    max_retries: d.max_retries ?? null,
    retry_interval: d.retry_interval ?? null,
    timeout: d.timeout ?? null,
    timeout_recoverable: d.timeout_recoverable ?? null,
  };
}

/** Type → subtype: a redefined operation replaces the parent's entirely. */
export function mergeTypeInterfaces(chain: (Record<string, any> | undefined)[]): Interfaces {
  const out: Interfaces = {};
  for (const ifaces of chain) {
    for (const [iname, ops] of Object.entries(ifaces ?? {})) {
      if (!out[iname]) out[iname] = {};
      const target = out[iname];
      for (const [oname, op] of Object.entries((ops ?? {}) as Record<string, unknown>))
        target[oname] = normaliseOp(op);
    }
  }
  return out;
}

/** Resolves a type-level input schema to values (defaults), 107 on a missing required one. */
function schemaToValues(
  schema: Record<string, any>,
  given: Record<string, any>,
  where: string,
): Record<string, any> {
  const out: Record<string, any> = { ...given };
  for (const [k, d] of Object.entries(schema)) {
    if (k in out) continue;
    if (isDict(d) && d.default !== undefined) out[k] = structuredClone(d.default);
    else if (isDict(d) && d.required === false) continue;
    else throw logicError(107, `${where}: operation input '${k}' is required but has no value`);
  }
  // interfaces/utils.merge_schema_and_instance_inputs: a dict value gets the schema's `type` key (so a
  // function there becomes `{get_input: x, type: float}` and is checked when evaluated).
  for (const [k, d] of Object.entries(schema))
    if (isDict(d) && 'type' in d && isDict(out[k])) out[k] = { ...out[k], type: d.type };
  return out;
}

/** Type → template (or relationship type → instance) merge. */
export function mergeTemplateInterfaces(
  typeIfaces: Interfaces,
  templateIfaces: Record<string, any> | undefined,
  where: string,
): Interfaces {
  const out: Interfaces = {};
  // A type operation the template mentions is resolved below with the template's values first.
  const mentioned = (i: string, o: string) => isDict(templateIfaces?.[i]) && o in templateIfaces[i];
  for (const [iname, ops] of Object.entries(typeIfaces)) {
    out[iname] = {};
    for (const [oname, op] of Object.entries(ops))
      if (!mentioned(iname, oname))
        out[iname][oname] = { ...op, inputs: schemaToValues(op.inputs, {}, where) };
  }
  for (const [iname, ops] of Object.entries(templateIfaces ?? {})) {
    if (!out[iname]) out[iname] = {};
    const target = out[iname];
    for (const [oname, raw] of Object.entries((ops ?? {}) as Record<string, unknown>)) {
      const t = normaliseOp(raw);
      const base = typeIfaces[iname]?.[oname];
      if (base && (t.implementation === '' || t.implementation === base.implementation)) {
        const merged: OpDef = { ...base, implementation: base.implementation };
        for (const f of FIELDS) if (t[f] !== null) (merged as any)[f] = t[f];
        merged.inputs = schemaToValues(base.inputs, t.inputs, `${where}.${iname}.${oname}`);
        target[oname] = merged;
      } else target[oname] = t;
    }
  }
  return out;
}

export interface PluginsCtx {
  plugins: Record<string, Record<string, any>>;
  resourceExists: (path: string) => boolean;
  /** Error code when no plugin matches: 10 node, 19 relationship, 21 workflow. */
  missingCode: number;
  /** Namespaces of `blueprint:` imports: `ns--path` mappings there are scripts of that blueprint. */
  remoteNamespaces?: Set<string>;
}

export interface PlanOperation {
  plugin: string | null;
  operation: string | null;
  executor: string | null;
  inputs: Record<string, any>;
  has_intrinsic_functions: boolean;
  max_retries: number | null;
  retry_interval: number | null;
  timeout: number | null;
  timeout_recoverable: boolean | null;
  inputs_types?: Record<string, unknown>;
}

const looksLikeScript = (impl: string): boolean =>
  impl.includes('\n') ||
  /^[a-z]+:\/\//.test(impl) ||
  /\.(sh|py|ps1|bat|rb|pl|bash)$/.test(impl) ||
  impl.includes('/');

/** Maps an implementation to `{plugin, operation}`; script paths go to the `script` plugin. */
export function resolveImplementation(
  impl: string,
  inputs: Record<string, any>,
  ctx: PluginsCtx,
  where: string,
): { plugin: string; operation: string; inputs: Record<string, any>; script: boolean } {
  const matches = Object.keys(ctx.plugins).filter((p) => impl.startsWith(`${p}.`));
  if (matches.length > 1)
    throw logicError(91, `Ambiguous operation mapping '${impl}' (${where}): plugins ${matches.join(', ')}`);
  const d = impl.indexOf('--');
  const remote = matches.length === 0 && d > 0 && (ctx.remoteNamespaces?.has(impl.slice(0, d)) ?? false);
  const isScript = ctx.resourceExists(impl) || remote || (matches.length === 0 && looksLikeScript(impl));
  if (isScript) {
    // Namespaced imports may each declare a `script` plugin (`ns--script`); they are the same plugin.
    const scriptPlugin = Object.keys(ctx.plugins).find((p) => p.endsWith('script'));
    if (scriptPlugin === undefined) {
      throw logicError(
        61,
        `Operation '${where}' maps to a script '${impl}' but no plugin named 'script' is declared`,
      );
    }
    const key = impl.includes('\n') ? 'script_source' : 'script_path';
    if ('script_path' in inputs || 'script_source' in inputs) {
      throw logicError(60, `Operation '${where}' maps to a script and may not declare '${key}' itself`);
    }
    return {
      plugin: scriptPlugin,
      operation: 'script_runner.tasks.run',
      inputs: { ...inputs, [key]: impl },
      script: true,
    };
  }
  if (matches.length === 0) {
    throw logicError(ctx.missingCode, `Could not extract plugin from operation mapping '${impl}' (${where})`);
  }
  return { plugin: matches[0], operation: impl.slice(matches[0].length + 1), inputs, script: false };
}

/** The plan record of one operation; null for a no-op. */
export function planOperation(op: OpDef, ctx: PluginsCtx, where: string): PlanOperation | null {
  if (!op.implementation) return null;
  const r = resolveImplementation(op.implementation, op.inputs, ctx, where);
  const executor = op.executor ?? (r.script ? 'auto' : (ctx.plugins[r.plugin]?.executor ?? null));
  return {
    plugin: r.plugin,
    operation: r.operation,
    executor,
    inputs: r.inputs,
    has_intrinsic_functions: false, // set by the deployment plan when a runtime function stays
    max_retries: op.max_retries,
    retry_interval: op.retry_interval,
    timeout: op.timeout,
    timeout_recoverable: op.timeout_recoverable,
    ...inputsTypes(r.inputs),
  };
}

// interfaces/utils.operation: `inputs_types` lists the inputs whose (dict) value carries a `type`.
const inputsTypes = (inputs: Record<string, any>): { inputs_types?: Record<string, unknown> } => {
  const t = Object.entries(inputs).filter(([, v]) => isDict(v) && 'type' in v);
  return t.length > 0 ? { inputs_types: Object.fromEntries(t.map(([k, v]) => [k, v.type])) } : {};
};

/** `interface.op` for every operation, plus bare `op` when that name is unique across interfaces. */
export function flattenOperations(ifaces: Interfaces, ctx: PluginsCtx, where: string): Record<string, any> {
  const out: Record<string, any> = {};
  const count = new Map<string, number>();
  for (const ops of Object.values(ifaces))
    for (const o of Object.keys(ops)) count.set(o, (count.get(o) ?? 0) + 1);
  for (const [iname, ops] of Object.entries(ifaces)) {
    for (const [oname, op] of Object.entries(ops)) {
      const rec = planOperation(op, ctx, `${where}.${iname}.${oname}`) ?? emptyOp();
      // the bare name first, as the reference builds the dict (its scan order follows it)
      if (count.get(oname) === 1) out[oname] = rec;
      out[`${iname}.${oname}`] = rec;
    }
  }
  return out;
}

// A no-op (interfaces/utils.no_op_operation): empty plugin and operation names.
const emptyOp = (): PlanOperation => ({
  plugin: '',
  operation: '',
  executor: null,
  inputs: {},
  has_intrinsic_functions: false,
  max_retries: null,
  retry_interval: null,
  timeout: null,
  timeout_recoverable: null,
});
