// Version gates (elements/*.py validate_version): sections and fields a blueprint may use only from the
// DSL version that introduced them; a newer feature in an older blueprint is error 102.
import { logicError } from './errors.js';
import { isDict } from './schema.js';
import { OBJECT_TYPES } from './types.js';
import { type DslVersion, versionAtLeast } from './version.js';

// Sections and the DSL version that introduced them.
const SECTION_MIN_VERSION: Record<string, [number, number]> = {
  description: [1, 2],
  dsl_definitions: [1, 2],
  policies: [1, 3],
  resource_tags: [1, 3],
};

/** Error 102 unless `version` is at least `min`. */
export const gate = (what: string, version: DslVersion, min: [number, number]) => {
  if (!versionAtLeast(version, min)) {
    throw logicError(
      102,
      `${what} not supported in version ${version.raw}, it was added in cloudify_dsl_${min[0]}_${min[1]}`,
    );
  }
};

/** Top-level sections of the main file that are newer than its version. */
export function checkSectionVersions(mainKeys: string[], version: DslVersion): void {
  for (const [k, min] of Object.entries(SECTION_MIN_VERSION)) if (mainKeys.includes(k)) gate(k, version, min);
}

// Fields added after 1_0 inside sections (elements/*.py validate_version calls).
export function checkFieldVersions(doc: Record<string, any>, version: DslVersion): void {
  const each = (k: string) => (isDict(doc[k]) ? Object.entries(doc[k] as Record<string, any>) : []);
  for (const [, p] of each('plugins')) {
    if (!isDict(p)) continue;
    if (p.properties !== undefined) gate('properties', version, [1, 5]);
    if (p.install_arguments !== undefined) gate('install_arguments', version, [1, 1]);
    for (const f of [
      'package_name',
      'package_version',
      'supported_platform',
      'distribution',
      'distribution_version',
      'distribution_release',
    ]) {
      if (p[f] !== undefined) gate(f, version, [1, 2]);
    }
  }
  const typeGate = (t: unknown) => {
    if (typeof t !== 'string' || !OBJECT_TYPES.has(t)) return;
    gate(`type '${t}'`, version, t === 'operation_name' ? [1, 5] : [1, 4]);
  };
  for (const sec of ['node_types', 'data_types', 'relationships']) {
    for (const [, t] of each(sec))
      if (isDict(t) && isDict(t.properties))
        for (const d of Object.values(t.properties)) if (isDict(d)) typeGate(d.type);
  }
  const inputLike = (defs: [string, any][]) => {
    for (const [, d] of defs) {
      if (!isDict(d)) continue;
      typeGate(d.type);
      for (const f of ['display_label', 'hidden']) if (d[f] !== undefined) gate(f, version, [1, 3]);
      if (d.item_type !== undefined) gate('item_type', version, [1, 4]);
      for (const c of Array.isArray(d.constraints) ? d.constraints : []) {
        if (isDict(c) && Object.keys(c).length > 1) gate('error_message', version, [1, 5]);
      }
    }
  };
  inputLike(each('inputs'));
  for (const [, w] of each('workflows')) {
    if (!isDict(w)) continue;
    if (w.availability_rules !== undefined) gate('availability_rules', version, [1, 4]);
    if (isDict(w.parameters)) inputLike(Object.entries(w.parameters));
  }
}

type Visit = (op: Record<string, any>, name: string, typeLevel: boolean) => void;

/** Every operation in long form: type interfaces (typeLevel) and template interfaces. */
function eachOperation(doc: Record<string, any>, visit: Visit): void {
  const ifaces = (v: unknown, typeLevel: boolean) => {
    if (!isDict(v)) return;
    for (const [i, ops] of Object.entries(v))
      if (isDict(ops))
        for (const [o, op] of Object.entries(ops)) if (isDict(op)) visit(op, `${i}.${o}`, typeLevel);
  };
  const each = (k: string) => (isDict(doc[k]) ? Object.values(doc[k] as Record<string, any>) : []);
  for (const t of each('node_types')) if (isDict(t)) ifaces(t.interfaces, true);
  for (const r of each('relationships'))
    if (isDict(r)) for (const k of ['source_interfaces', 'target_interfaces']) ifaces(r[k], true);
  for (const n of each('node_templates')) {
    if (!isDict(n)) continue;
    ifaces(n.interfaces, false);
    for (const r of Array.isArray(n.relationships) ? n.relationships : [])
      if (isDict(r)) for (const k of ['source_interfaces', 'target_interfaces']) ifaces(r[k], false);
  }
}

/** `required` in any property schema (1_2), `max_retries`/`retry_interval` on operations (1_1). */
export function checkSchemaFieldVersions(doc: Record<string, any>, version: DslVersion): void {
  const required = (schema: unknown) => {
    if (isDict(schema))
      for (const d of Object.values(schema))
        if (isDict(d) && d.required !== undefined && d.required !== null) gate('required', version, [1, 2]);
  };
  const each = (k: string) => (isDict(doc[k]) ? Object.values(doc[k] as Record<string, any>) : []);
  for (const [sec, key] of [
    ['node_types', 'properties'],
    ['relationships', 'properties'],
    ['data_types', 'properties'],
    ['workflows', 'parameters'],
    ['policy_types', 'properties'],
    ['policy_triggers', 'parameters'],
  ])
    for (const t of each(sec)) if (isDict(t)) required(t[key]);
  required(doc.inputs);
  eachOperation(doc, (op, _name, typeLevel) => {
    for (const f of ['max_retries', 'retry_interval'])
      if (op[f] !== undefined && op[f] !== null) gate(f, version, [1, 1]);
    if (typeLevel) required(op.inputs);
  });
}

/** An operation's executor is one of the two agents (28). */
export function checkOperationExecutors(doc: Record<string, any>): void {
  eachOperation(doc, (op, name) => {
    const e = op.executor;
    if (e !== undefined && e !== null && e !== 'central_deployment_agent' && e !== 'host_agent') {
      throw logicError(
        28,
        `Operation '${name}' has an illegal executor value '${e}'. valid values are [central_deployment_agent,host_agent]`,
      );
    }
  });
}
