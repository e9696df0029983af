// Namespaced imports (`ns--file.yaml`): every element name from that file, and every reference to
// one of them inside it, gets the `ns--` prefix. References to names the file does not define
// (e.g. cloudify.* basic types from another import) are left alone.
import { isDict } from './schema.js';

export const NS_DELIM = '--';

const PRIMITIVE_NAMES = new Set([
  'string',
  'integer',
  'float',
  'boolean',
  'list',
  'dict',
  'regex',
  'textarea',
]);

const NAMED_SECTIONS = [
  'node_types',
  'relationships',
  'data_types',
  'plugins',
  'node_templates',
  'inputs',
  'outputs',
  'capabilities',
  'workflows',
  'groups',
  'policies',
  'policy_types',
  'policy_triggers',
];

export function applyNamespace(data: Record<string, any>, ns: string): Record<string, any> {
  const own = new Set<string>();
  for (const s of NAMED_SECTIONS) {
    if (isDict(data[s])) for (const k of Object.keys(data[s])) if (!k.startsWith('cloudify.')) own.add(k);
  }
  // References are prefixed like the reference parser's string leaves: everything but primitive type
  // names and `cloudify.*` names (basic types, overridable), whether or not this file defines it.
  const p = (name: unknown): any =>
    typeof name === 'string' && !PRIMITIVE_NAMES.has(name) && !name.startsWith('cloudify.')
      ? `${ns}${NS_DELIM}${name}`
      : name;
  const out: Record<string, any> = { ...data };
  for (const s of NAMED_SECTIONS) {
    if (!isDict(data[s])) continue;
    out[s] = Object.fromEntries(
      Object.entries(data[s]).map(([k, v]) => [own.has(k) ? `${ns}${NS_DELIM}${k}` : k, v]),
    );
  }
  const fixTypeDefs = (sec: string) => {
    if (!isDict(out[sec])) return;
    for (const [k, v] of Object.entries(out[sec])) {
      if (!isDict(v)) continue;
      const nv: Record<string, any> = { ...v, derived_from: p(v.derived_from) };
      if (v.derived_from === undefined) delete nv.derived_from;
      if (isDict(v.properties)) nv.properties = fixSchema(v.properties, p);
      for (const i of ['interfaces', 'source_interfaces', 'target_interfaces']) {
        if (isDict(v[i])) nv[i] = fixInterfaces(v[i], p);
      }
      out[sec][k] = fixFunctions(nv, p);
    }
  };
  for (const s of ['node_types', 'relationships', 'data_types']) fixTypeDefs(s);
  if (isDict(out.node_templates)) {
    for (const [k, v] of Object.entries(out.node_templates)) {
      if (!isDict(v)) continue;
      const nv: Record<string, any> = { ...v };
      if (v.type !== undefined) nv.type = p(v.type);
      if (isDict(v.interfaces)) nv.interfaces = fixInterfaces(v.interfaces, p);
      if (Array.isArray(v.relationships)) {
        nv.relationships = v.relationships.map((r: any) =>
          isDict(r)
            ? {
                ...r,
                type: p(r.type),
                target: p(r.target),
                ...(isDict(r.source_interfaces)
                  ? { source_interfaces: fixInterfaces(r.source_interfaces, p) }
                  : {}),
                ...(isDict(r.target_interfaces)
                  ? { target_interfaces: fixInterfaces(r.target_interfaces, p) }
                  : {}),
              }
            : r,
        );
      }
      out.node_templates[k] = fixFunctions(nv, p);
    }
  }
  if (isDict(out.groups)) {
    for (const [k, g] of Object.entries(out.groups)) {
      if (isDict(g) && Array.isArray(g.members))
        out.groups[k] = fixFunctions({ ...g, members: g.members.map(p) }, p);
    }
  }
  if (isDict(out.policies)) {
    for (const [k, g] of Object.entries(out.policies)) {
      if (isDict(g) && Array.isArray(g.targets))
        out.policies[k] = fixFunctions({ ...g, targets: g.targets.map(p) }, p);
    }
  }
  if (isDict(out.workflows)) {
    for (const [k, w] of Object.entries(out.workflows)) out.workflows[k] = fixMapping(w, p);
  }
  for (const s of ['outputs', 'capabilities', 'inputs']) if (isDict(out[s])) out[s] = fixFunctions(out[s], p);
  // The reference namespaces an imported file's metadata keys too (`ns--key`).
  if (isDict(out.metadata))
    out.metadata = Object.fromEntries(Object.entries(out.metadata).map(([k, v]) => [p(k), v]));
  return out;
}

const fixSchema = (props: Record<string, any>, p: (n: unknown) => any) =>
  Object.fromEntries(
    Object.entries(props).map(([k, v]) => [
      k,
      isDict(v) && typeof v.type === 'string' ? { ...v, type: p(v.type) } : v,
    ]),
  );

// Operation implementations and workflow mappings are string leaves like any other: the whole string
// gets the prefix (`ns--plugin.op`, `ns--scripts/x.sh`), unless empty (a no-op) or `cloudify.*`.
function fixMapping(op: any, p: (n: unknown) => any): any {
  const fix = (impl: unknown) => {
    if (typeof impl !== 'string' || impl === '') return impl;
    return p(impl);
  };
  if (typeof op === 'string') return fix(op);
  if (isDict(op)) {
    const r = { ...op };
    if ('implementation' in op) r.implementation = fix(op.implementation);
    if ('mapping' in op) r.mapping = fix(op.mapping);
    return r;
  }
  return op;
}

const fixInterfaces = (ifaces: Record<string, any>, p: (n: unknown) => any) =>
  Object.fromEntries(
    Object.entries(ifaces).map(([i, ops]) => [
      i,
      isDict(ops) ? Object.fromEntries(Object.entries(ops).map(([o, op]) => [o, fixMapping(op, p)])) : ops,
    ]),
  );

const NODE_TARGETS = new Set(['SELF', 'SOURCE', 'TARGET']);
// Only these two name a node in the reference's namespacing (framework/parser.py).
const NODE_REF_FUNCS = new Set(['get_property', 'get_attribute']);

// Prefix the input / node names that intrinsic functions refer to.
function fixFunctions(v: any, p: (n: unknown) => any): any {
  if (Array.isArray(v)) return v.map((x) => fixFunctions(x, p));
  if (!isDict(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const [f] = keys;
    const a = v[f];
    if (f === 'get_input') {
      if (typeof a === 'string') return { get_input: p(a) };
      if (Array.isArray(a)) return { get_input: [p(a[0]), ...a.slice(1).map((x) => fixFunctions(x, p))] };
    }
    if (NODE_REF_FUNCS.has(f) && Array.isArray(a))
      return {
        [f]: [
          NODE_TARGETS.has(a[0]) ? a[0] : typeof a[0] === 'string' ? p(a[0]) : fixFunctions(a[0], p),
          ...a.slice(1).map((x) => fixFunctions(x, p)),
        ],
      };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fixFunctions(x, p)]));
}
