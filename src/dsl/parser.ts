// parseBlueprint: YAML → merged document → validated, resolved plan (dsl_parser/parser.py).
import { BLUEPRINT_SCHEMA } from './blueprint-schema.js';
import { parseDeploymentSettings } from './deployment-settings.js';
import { withBuiltinTypes } from './builtin-types.js';
import { DslError, logicError } from './errors.js';
import { checkPolicySchemas, groupPolicies } from './group-policies.js';
import { buildGroups } from './groups.js';
import { loadAndMerge, type MergedBlueprint } from './imports.js';
import { checkInputDefinitions } from './inputs.js';
import { buildNodes, pluginRecord } from './nodes.js';
import { resolveImplementation } from './operations.js';
import { type Plan, requirements, validateFunctions } from './plan-functions.js';
import { checkRelationshipOperations, planDataTypes, planRelationships } from './plan-types.js';

export type { Plan };
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
  dataTypeContext,
  type MergeContext,
  mergedProperties,
  parseValue,
  schemaWithDefaults,
  typeHierarchy,
} from './types.js';
import {
  checkFieldVersions,
  checkOperationExecutors,
  checkSchemaFieldVersions,
  checkSectionVersions,
  gate,
} from './version-gates.js';

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

type Section = Record<string, any>;
/** A top-level section of the merged document; {} when absent. */
type SectionOf = (k: string) => Section;

export function parseBlueprint(opts: ParseOptions): Plan {
  const resolver = withBuiltinTypes(opts.resolver);
  const validateVersion = opts.validateVersion ?? true;
  const merged = loadMain(opts, resolver, validateVersion);
  const { doc, version } = merged;
  const sec: SectionOf = (k) => (isDict(doc[k]) ? doc[k] : {});
  checkDocument(merged, sec, validateVersion);
  const plugins = sec('plugins');
  const { dataTypes, merge, nodeTypes, relTypes } = checkTypes(merged, sec, validateVersion);
  const inputs = sec('inputs');
  checkInputDefinitions(inputs, merge, version);
  const resourceExists = blueprintFileCheck(resolver);
  const remoteNamespaces = new Set(Object.keys(merged.namespacesMapping));
  checkRelationshipOperations(relTypes, { plugins, resourceExists, remoteNamespaces });
  const nodes = buildNodes({
    templates: sec('node_templates'),
    nodeTypes,
    relTypes,
    plugins,
    merge,
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
  const { workflows, workflowPlugins } = buildWorkflows(sec('workflows'), {
    plugins,
    resourceExists,
    remoteNamespaces,
  });
  const plan: Plan = {
    version: { raw: version.raw, definitions_name: 'cloudify_dsl', definitions_version: version.number },
    description: doc.description ?? null,
    metadata: doc.metadata ?? null,
    inputs: planInputs(inputs, merge),
    data_types: planDataTypes(dataTypes, merge),
    nodes,
    relationships: planRelationships(relTypes, merge),
    outputs: sec('outputs'),
    capabilities: sec('capabilities'),
    workflows,
    groups: groupPolicies(groups, sec('policy_types'), sec('policy_triggers'), merge),
    policies,
    scaling_groups,
    policy_types: sec('policy_types'),
    policy_triggers: sec('policy_triggers'),
    labels: sec('labels'),
    blueprint_labels: sec('blueprint_labels'),
    resource_tags: sec('resource_tags'),
    deployment_settings: isDict(doc.deployment_settings)
      ? parseDeploymentSettings(doc.deployment_settings)
      : {},
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

/** Reads the main file and merges its imports. */
function loadMain(opts: ParseOptions, resolver: ImportResolver, validateVersion: boolean): MergedBlueprint {
  const text = opts.mainText ?? (opts.mainFile !== null ? resolver.read(opts.mainFile) : undefined);
  if (text === undefined) throw logicError(13, `Blueprint main file '${opts.mainFile}' could not be read`);
  return loadAndMerge(text, opts.mainFile, {
    resolver,
    plugins: opts.resolverOfPlugins,
    blueprints: opts.resolverOfBlueprints,
    rules: opts.urlRules ?? BUILTIN_SPEC_RULES,
    fallback: opts.fallback ?? true,
    resourcesBasePath: opts.resourcesBasePath,
    validateVersion,
  });
}

/** The document's sections against the schema and their versions, labels, availability rules, plugins. */
function checkDocument(merged: MergedBlueprint, sec: SectionOf, validateVersion: boolean): void {
  const { doc, version } = merged;
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
  if (validateVersion) checkSectionVersions(merged.mainKeys, version);
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
  if (validateVersion) checkSchemaFieldVersions(doc, version);
  checkOperationExecutors(doc);
  for (const [name, p] of Object.entries(sec('plugins'))) {
    if (!['central_deployment_agent', 'host_agent'].includes(p.executor)) {
      throw logicError(18, `Plugin '${name}' has an illegal executor '${p.executor}'`);
    }
    if ((p.install ?? true) && !p.source && !p.package_name) {
      throw logicError(50, `Plugin '${name}' must declare 'source' or 'package_name' when 'install' is true`);
    }
  }
}

/** Data, node and relationship types: hierarchies and property schemas. */
function checkTypes(
  merged: MergedBlueprint,
  sec: SectionOf,
  validateVersion: boolean,
): { dataTypes: Defs; merge: MergeContext; nodeTypes: Defs; relTypes: Defs } {
  const dataTypes: Defs = sec('data_types');
  const merge = dataTypeContext(dataTypes);
  for (const name of Object.keys(dataTypes)) {
    checkSchemaTypes(
      mergedProperties(dataTypes, typeHierarchy(dataTypes, name, 'data_type')),
      dataTypes,
      `data_types.${name}.properties`,
    );
  }
  for (const name of Object.keys(dataTypes)) merge.dataTypeProps(name);
  // DataTypes.validate runs after its members: their errors (100/103/104/105/106) come first.
  if (validateVersion && Object.keys(dataTypes).length > 0 && merged.mainKeys.includes('data_types'))
    gate('data_types', merged.version, [1, 2]);
  const nodeTypes: Defs = sec('node_types');
  for (const [name, t] of Object.entries(nodeTypes)) {
    typeHierarchy(nodeTypes, name, 'node_type');
    checkSchemaTypes(t.properties ?? {}, dataTypes, `node_types.${name}.properties`);
  }
  // every type's defaults are checked (105/106), used by a template or not
  for (const name of Object.keys(nodeTypes))
    schemaWithDefaults(nodeTypes, typeHierarchy(nodeTypes, name, 'node_type'), merge);
  checkPolicySchemas(sec('policy_types'), sec('policy_triggers'), merge);
  const relTypes: Defs = sec('relationships');
  for (const [name, r] of Object.entries(relTypes)) {
    typeHierarchy(relTypes, name, 'relationship');
    if (isDict(r.properties)) checkSchemaTypes(r.properties, dataTypes, `relationships.${name}.properties`);
  }
  return { dataTypes, merge, nodeTypes, relTypes };
}

// A mapping naming a file of the blueprint is a script; a namespace prefix (`ns--scripts/x.sh`) is
// not part of the file name.
function blueprintFileCheck(resolver: ImportResolver): (mapping: string) => boolean {
  const existsCache = new Map<string, boolean>();
  return (mapping) => {
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
}

/** The workflows section resolved to plugin operations, and the plugins they need. */
function buildWorkflows(
  section: Section,
  ctx: { plugins: Section; resourceExists: (mapping: string) => boolean; remoteNamespaces: Set<string> },
): { workflows: Record<string, any>; workflowPlugins: Set<string> } {
  const workflows: Record<string, any> = {};
  const workflowPlugins = new Set<string>();
  for (const [name, w] of Object.entries(section)) {
    const mapping = typeof w === 'string' ? w : w.mapping;
    const r = resolveImplementation(mapping, {}, { ...ctx, missingCode: 21 }, `workflows.${name}`);
    const params: Record<string, any> = structuredClone((typeof w === 'string' ? {} : w.parameters) ?? {});
    if (r.script)
      params.script_path = { default: mapping, description: 'Workflow script executed by the script plugin' };
    workflows[name] = {
      plugin: r.plugin,
      operation: r.script ? 'script_runner.tasks.execute_workflow' : r.operation,
      parameters: params,
      is_cascading: typeof w === 'string' ? false : (w.is_cascading ?? false),
      availability_rules: (typeof w === 'string' ? null : w.availability_rules) ?? null,
    };
    workflowPlugins.add(r.plugin);
  }
  return { workflows, workflowPlugins };
}

const uniquePlugins = (list: Record<string, any>[]) => {
  const seen = new Map<string, Record<string, any>>();
  for (const p of list) if (!seen.has(p.name)) seen.set(p.name, p);
  return [...seen.values()];
};

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
function planInputs(inputs: Record<string, any>, merge: MergeContext): Record<string, any> {
  const ops = (c: unknown) =>
    isDict(c) && Object.keys(c).length > 1 && 'error_message' in c
      ? Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'error_message'))
      : c;
  // A data-typed default is completed with the data type's defaults (SchemaPropertyDefault).
  const withDefault = (k: string, d: Record<string, any>) =>
    'default' in d && typeof d.type === 'string' && d.type in merge.dataTypes
      ? {
          ...d,
          default: parseValue(d.default ?? {}, d.type, undefined, merge, {
            raiseOnMissing: false,
            owner: k,
            path: [],
          }),
        }
      : d;
  return Object.fromEntries(
    Object.entries(inputs).map(([k, d]) => {
      if (!isDict(d)) return [k, d];
      const c = Array.isArray(d.constraints) ? { ...d, constraints: d.constraints.map(ops) } : d;
      return [k, withDefault(k, c)];
    }),
  );
}
