// parseBlueprint: YAML → merged document → validated, resolved plan (dsl_parser/parser.py).
import { BLUEPRINT_SCHEMA } from './blueprint-schema.js';
import { withBuiltinTypes } from './builtin-types.js';
import { DslError, logicError, plainError } from './errors.js';
import { checkArguments, walkFunctions } from './functions.js';
import { buildGroups } from './groups.js';
import { loadAndMerge } from './imports.js';
import { checkInputDefinitions } from './inputs.js';
import { buildNodes, pluginRecord } from './nodes.js';
import { resolveImplementation } from './operations.js';
import {
  BUILTIN_SPEC_RULES,
  type BlueprintImportResolver,
  type ImportResolver,
  type PluginImportResolver,
  type UrlRule,
} from './resolver.js';
import { isDict, validate } from './schema.js';
import {
  checkSchemaTypes,
  type Defs,
  OBJECT_TYPES,
  dataTypeContext,
  mergedProperties,
  typeHierarchy,
} from './types.js';
import { type DslVersion, versionAtLeast } from './version.js';

export interface ParseOptions {
  /** Path of the main file as the resolver knows it (e.g. `blueprint.yaml`), or null when unknown. */
  mainFile: string | null;
  /** Main file text; read through the resolver from `mainFile` when omitted. */
  mainText?: string;
  resolver: ImportResolver;
  resolverOfPlugins?: PluginImportResolver;
  resolverOfBlueprints?: BlueprintImportResolver;
  /** Import URL rewrites tried in order; default: Cloudify spec URLs → bundled types. */
  urlRules?: UrlRule[];
  /** Also try the original URL when a rule matched (as the reference resolver does). */
  fallback?: boolean;
  resourcesBasePath?: string | null;
  /** Enforce version-gated features (default true). */
  validateVersion?: boolean;
}

export type Plan = Record<string, any>;

// Sections and the DSL version that introduced them.
const SECTION_MIN_VERSION: Record<string, [number, number]> = {
  description: [1, 2],
  dsl_definitions: [1, 2],
  policies: [1, 3],
  resource_tags: [1, 3],
};

export function parseBlueprint(opts: ParseOptions): Plan {
  const resolver = withBuiltinTypes(opts.resolver);
  const text = opts.mainText ?? (opts.mainFile !== null ? resolver.read(opts.mainFile) : undefined);
  if (text === undefined) throw logicError(13, `Blueprint main file '${opts.mainFile}' could not be read`);
  const validateVersion = opts.validateVersion ?? true;
  const merged = loadAndMerge(text, opts.mainFile, {
    resolver,
    plugins: opts.resolverOfPlugins,
    blueprints: opts.resolverOfBlueprints,
    rules: opts.urlRules ?? BUILTIN_SPEC_RULES,
    fallback: opts.fallback ?? true,
    resourcesBasePath: opts.resourcesBasePath,
    validateVersion,
  });
  const doc = merged.doc;
  const version = merged.version;
  for (const k of Object.keys(doc)) {
    if (!(k in BLUEPRINT_SCHEMA)) {
      throw new DslError(
        1,
        `'${k}' is not in schema. Valid schema values: [${Object.keys(BLUEPRINT_SCHEMA).join(', ')}]`,
      );
    }
  }
  for (const [k, s] of Object.entries(BLUEPRINT_SCHEMA)) {
    if (doc[k] !== undefined && doc[k] !== null) validate(doc[k], s, k);
  }
  if (validateVersion) {
    for (const [k, min] of Object.entries(SECTION_MIN_VERSION)) {
      if (merged.mainKeys.includes(k) && !versionAtLeast(version, min)) {
        throw logicError(
          102,
          `${k} not supported in version ${version.raw}, it was added in cloudify_dsl_${min[0]}_${min[1]}`,
        );
      }
    }
  }
  const sec = (k: string): Record<string, any> => (isDict(doc[k]) ? doc[k] : {});
  checkLabels(sec('labels'), sec('blueprint_labels'));
  // Availability rule values are checked before the version gate (WorkflowAvailabilityNodeInstancesActive).
  for (const w of Object.values(sec('workflows'))) {
    const active =
      isDict(w) && isDict(w.availability_rules) ? w.availability_rules.node_instances_active : undefined;
    if (Array.isArray(active) && active.some((v) => !['all', 'partial', 'none'].includes(v))) {
      throw logicError(
        103,
        `Invalid definition of 'active_node_instances' availability rule: '${JSON.stringify(active)}'. Allowed values: ('all', 'partial', 'none')`,
      );
    }
  }
  if (validateVersion) checkFieldVersions(doc, version);
  const plugins = sec('plugins');
  for (const [name, p] of Object.entries(plugins)) {
    if (!['central_deployment_agent', 'host_agent'].includes(p.executor)) {
      throw logicError(18, `Plugin '${name}' has an illegal executor '${p.executor}'`);
    }
    if ((p.install ?? true) && !p.source && !p.package_name) {
      throw logicError(50, `Plugin '${name}' must declare 'source' or 'package_name' when 'install' is true`);
    }
  }
  const dataTypes: Defs = sec('data_types');
  const mergeCtx = dataTypeContext(dataTypes);
  for (const name of Object.keys(dataTypes)) {
    checkSchemaTypes(
      mergedProperties(dataTypes, typeHierarchy(dataTypes, name, 'data_type')),
      dataTypes,
      `data_types.${name}.properties`,
    );
  }
  for (const name of Object.keys(dataTypes)) mergeCtx.dataTypeProps(name);
  // DataTypes.validate runs after its members: their errors (100/103/104/105/106) come first.
  if (validateVersion && Object.keys(dataTypes).length > 0 && merged.mainKeys.includes('data_types'))
    gate('data_types', version, [1, 2]);
  const nodeTypes: Defs = sec('node_types');
  for (const [name, t] of Object.entries(nodeTypes)) {
    typeHierarchy(nodeTypes, name, 'node_type');
    checkSchemaTypes(t.properties ?? {}, dataTypes, `node_types.${name}.properties`);
  }
  const relTypes: Defs = sec('relationships');
  for (const [name, r] of Object.entries(relTypes)) {
    typeHierarchy(relTypes, name, 'relationship');
    if (isDict(r.properties)) checkSchemaTypes(r.properties, dataTypes, `relationships.${name}.properties`);
  }
  const inputs = sec('inputs');
  checkInputDefinitions(inputs, mergeCtx, version);
  // A mapping naming a file of the blueprint is a script; a namespace prefix (`ns--scripts/x.sh`) is
  // not part of the file name.
  const existsCache = new Map<string, boolean>();
  const resourceExists = (mapping: string): boolean => {
    let hit = existsCache.get(mapping);
    if (hit === undefined) {
      const p = mapping.replace(/^.*--/, '');
      hit =
        !p.includes('\n') &&
        (p.includes('/') || /\.\w+$/.test(p)) &&
        !/^\w+:\/\//.test(p) &&
        resolver.read(p) !== undefined;
      existsCache.set(mapping, hit);
    }
    return hit;
  };
  const remoteNamespaces = new Set(Object.keys(merged.namespacesMapping));
  const nodes = buildNodes({
    templates: sec('node_templates'),
    nodeTypes,
    relTypes,
    plugins,
    merge: mergeCtx,
    version,
    resourceExists,
    remoteNamespaces,
  });
  const { groups, policies, scaling_groups } = buildGroups(
    sec('groups'),
    sec('policies'),
    nodes,
    version,
    doc.policies !== undefined,
  );
  const workflows: Record<string, any> = {};
  const workflowPlugins = new Set<string>();
  for (const [name, w] of Object.entries(sec('workflows'))) {
    const mapping = typeof w === 'string' ? w : w.mapping;
    const r = resolveImplementation(
      mapping,
      {},
      { plugins, resourceExists, missingCode: 21, remoteNamespaces },
      `workflows.${name}`,
    );
    const params: Record<string, any> = structuredClone((typeof w === 'string' ? {} : w.parameters) ?? {});
    if (r.script)
      params.script_path = { default: mapping, description: 'Workflow script executed by the script plugin' };
    workflows[name] = {
      plugin: r.plugin,
      operation: r.script ? 'script_runner.tasks.execute_workflow' : r.operation,
      parameters: params,
      is_cascading: typeof w === 'string' ? false : (w.is_cascading ?? false),
      ...(typeof w !== 'string' && w.availability_rules ? { availability_rules: w.availability_rules } : {}),
    };
    workflowPlugins.add(r.plugin);
  }
  const plan: Plan = {
    version: { raw: version.raw, definitions_name: 'cloudify_dsl', definitions_version: version.number },
    description: doc.description ?? null,
    metadata: doc.metadata ?? null,
    inputs: planInputs(inputs),
    data_types: dataTypes,
    nodes,
    relationships: Object.fromEntries(
      Object.entries(relTypes).map(([n, r]) => [
        n,
        { ...r, name: n, type_hierarchy: typeHierarchy(relTypes, n, 'relationship') },
      ]),
    ),
    outputs: sec('outputs'),
    capabilities: sec('capabilities'),
    workflows,
    groups,
    policies,
    scaling_groups,
    policy_types: sec('policy_types'),
    policy_triggers: sec('policy_triggers'),
    labels: sec('labels'),
    blueprint_labels: sec('blueprint_labels'),
    resource_tags: sec('resource_tags'),
    deployment_settings: sec('deployment_settings'),
    imported_blueprints: merged.importedBlueprints,
    namespaces_mapping: merged.namespacesMapping,
    deployment_plugins_to_install: uniquePlugins(nodes.flatMap((n) => n.deployment_plugins_to_install)),
    workflow_plugins_to_install: [...workflowPlugins].map((p) => pluginRecord(p, plugins[p])),
    host_agent_plugins_to_install: uniquePlugins(nodes.flatMap((n) => n.plugins_to_install ?? [])),
  };
  validateFunctions(plan);
  plan.requirements = requirements(plan);
  return plan;
}

const uniquePlugins = (list: Record<string, any>[]) => {
  const seen = new Map<string, Record<string, any>>();
  for (const p of list) if (!seen.has(p.name)) seen.set(p.name, p);
  return [...seen.values()];
};

/** Parse-time function checks: arity, known inputs, known nodes, SELF/SOURCE/TARGET scope. */
function validateFunctions(plan: Plan): void {
  const nodeNames = new Set(plan.nodes.map((n: any) => n.name));
  const check = (value: unknown, scope: 'node' | 'relationship' | 'none', where: string) =>
    walkFunctions(value, (f, a) => {
      checkArguments(f, a);
      if (f === 'get_input') {
        const name = Array.isArray(a) ? a[0] : a;
        if (typeof name === 'string' && !(name in plan.inputs)) {
          throw plainError(
            'UnknownInputError',
            `${where}: get_input function references an unknown input '${name}'`,
          );
        }
      }
      if (['get_property', 'get_attribute'].includes(f) && typeof a[0] === 'string') {
        const ref = a[0];
        if (ref === 'SELF' && scope !== 'node')
          throw plainError('ValueError', `${where}: SELF cannot be used with ${f} here`);
        if ((ref === 'SOURCE' || ref === 'TARGET') && scope !== 'relationship') {
          throw plainError('ValueError', `${where}: ${ref} can only be used with ${f} in a relationship`);
        }
        if (!['SELF', 'SOURCE', 'TARGET'].includes(ref) && !nodeNames.has(ref)) {
          throw plainError('KeyError', `${where}: ${f} function node reference '${ref}' does not exist`);
        }
      }
    });
  for (const n of plan.nodes) {
    check(n.properties, 'node', `node_templates.${n.name}.properties`);
    check(n.operations, 'node', `node_templates.${n.name}.interfaces`);
    for (const r of n.relationships) {
      check(r.properties, 'node', `node_templates.${n.name}.relationships`);
      check(
        [r.source_operations, r.target_operations],
        'relationship',
        `node_templates.${n.name}.relationships`,
      );
    }
  }
  check(plan.outputs, 'none', 'outputs');
  check(plan.capabilities, 'none', 'capabilities');
  for (const [k, d] of Object.entries(plan.inputs as Record<string, any>))
    check(d?.default, 'none', `inputs.${k}`);
  for (const [k, l] of Object.entries(plan.labels as Record<string, any>))
    check(isDict(l) ? l.values : undefined, 'none', `labels.${k}`);
  check(plan.resource_tags, 'none', 'resource_tags');
  check(plan.policies, 'none', 'policies');
}

// Label values (elements/misc.py): blueprint labels are plain strings (assigned at upload); deployment
// labels are strings or functions other than get_attribute (assigned at creation). The label key itself
// may be any name, `get_attribute` included.
function checkLabels(labels: Record<string, any>, blueprintLabels: Record<string, any>): void {
  const values = (l: unknown): unknown[] => (isDict(l) && Array.isArray(l.values) ? l.values : []);
  for (const [k, l] of Object.entries(blueprintLabels)) {
    for (const v of values(l)) {
      if (typeof v !== 'string')
        throw new DslError(
          1,
          `The blueprint label's value must be a string. Please modify the values of ${k}`,
          'DSLParsingException',
        );
    }
  }
  for (const [k, l] of Object.entries(labels)) {
    for (const v of values(l)) {
      if (!(typeof v === 'string' || isDict(v)))
        throw new DslError(
          1,
          `The label's value must be a string or an intrinsic function. Please modify the values of ${k}`,
          'DSLParsingException',
        );
      if (isDict(v) && 'get_attribute' in v)
        throw new DslError(
          1,
          `The label's value cannot be a runtime property. Please remove the \`get_attribute\` function from the values of ${k}`,
          'DSLParsingException',
        );
    }
  }
}

// The plan keeps one operator per constraint; 1_5 extras such as `error_message` are not part of it.
function planInputs(inputs: Record<string, any>): Record<string, any> {
  const ops = (c: unknown) =>
    isDict(c) && Object.keys(c).length > 1 && 'error_message' in c
      ? Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'error_message'))
      : c;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, d]) => [
      k,
      isDict(d) && Array.isArray(d.constraints) ? { ...d, constraints: d.constraints.map(ops) } : d,
    ]),
  );
}

function requirements(plan: Plan): Record<string, any> {
  const secrets = new Set<string>();
  const parents = new Set<string>();
  walkFunctions([plan.nodes, plan.outputs, plan.capabilities, plan.inputs], (f, a) => {
    if (f === 'get_secret') {
      const n = Array.isArray(a) ? a[0] : a;
      if (typeof n === 'string') secrets.add(n);
    }
    if (f === 'get_environment_capability') {
      const n = Array.isArray(a) ? a[0] : a;
      if (typeof n === 'string') parents.add(n);
    }
  });
  return { parent_capabilities: [...parents].map((p) => [p]), secrets: [...secrets] };
}

const gate = (what: string, version: DslVersion, min: [number, number]) => {
  if (!versionAtLeast(version, min)) {
    throw logicError(
      102,
      `${what} not supported in version ${version.raw}, it was added in cloudify_dsl_${min[0]}_${min[1]}`,
    );
  }
};

// Fields added after 1_0 inside sections (elements/*.py validate_version calls).
function checkFieldVersions(doc: Record<string, any>, version: DslVersion): void {
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
