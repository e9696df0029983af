// Node templates: properties, interfaces, relationships, instance counts, host_id and plugin lists.
import { logicError } from './errors.js';
import { isFunction } from './functions.js';
import {
  flattenOperations,
  mergeTemplateInterfaces,
  mergeTypeInterfaces,
  type PluginsCtx,
} from './operations.js';
import { isDict } from './schema.js';
import {
  checkSchemaTypes,
  type Defs,
  type PropSchema,
  schemaWithDefaults,
  mergeProperties,
  type MergeContext,
  typeHierarchy,
} from './types.js';
import { type DslVersion, versionAtLeast } from './version.js';

export const HOST_TYPE = 'cloudify.nodes.Compute';
export const CONTAINED_IN = 'cloudify.relationships.contained_in';
const DEPENDS_ON_LIFECYCLE_OP = 'cloudify.relationships.depends_on_lifecycle_operation';

export interface NodesInput {
  templates: Record<string, Record<string, any>>;
  nodeTypes: Defs;
  relTypes: Defs;
  plugins: Record<string, Record<string, any>>;
  merge: MergeContext;
  version: DslVersion;
  resourceExists: (p: string) => boolean;
  remoteNamespaces?: Set<string>;
}

interface RelType {
  hierarchy: string[];
  props: any;
  src: any;
  tgt: any;
}

export function buildNodes(inp: NodesInput): Record<string, any>[] {
  const { templates, nodeTypes } = inp;
  const ctx = pluginsCtx(inp);
  const relType = relationshipTypes(inp);
  const nodes: Record<string, any>[] = [];
  const typeSchemas = new Map<string, PropSchema>();
  for (const [name, t] of Object.entries(templates)) {
    if (!(t.type in nodeTypes))
      throw logicError(7, `Could not locate node type: '${t.type}' (node_templates.${name})`);
    const hierarchy = typeHierarchy(nodeTypes, t.type, 'node_type');
    let schema = typeSchemas.get(t.type);
    if (!schema) {
      schema = schemaWithDefaults(nodeTypes, hierarchy, inp.merge);
      typeSchemas.set(t.type, schema);
    }
    const props = mergeProperties(schema, t.properties ?? {}, inp.merge, `node_templates.${name}`);
    if ('use_external_resource' in (t.properties ?? {}) && isDict(t.properties.use_external_resource)) {
      throw logicError(219, `use_external_resource of node '${name}' may not be an intrinsic function`);
    }
    const typeIfaces = mergeTypeInterfaces(hierarchy.map((h) => nodeTypes[h].interfaces));
    const interfaces = mergeTemplateInterfaces(typeIfaces, t.interfaces, `node_templates.${name}.interfaces`);
    const relationships = buildRelationships(name, t, inp, relType);
    const contained = relationships.filter((r: any) => r.type_hierarchy.includes(CONTAINED_IN));
    if (contained.length > 1)
      throw logicError(112, `Node '${name}' has more than one contained_in relationship`);
    checkLifecycleTargets(name, t, templates);
    nodes.push({
      name,
      id: name,
      type: t.type,
      type_hierarchy: hierarchy,
      properties: props,
      interfaces,
      operations: flattenOperations(interfaces, ctx(10), `node_templates.${name}.interfaces`),
      relationships,
      ...instanceCounts(name, t, inp.version),
    });
  }
  assignHosts(nodes);
  assignPlugins(nodes, inp.plugins);
  return nodes;
}

/** How operations resolve their implementation; `code` is the error when a plugin is missing. */
const pluginsCtx =
  (inp: NodesInput) =>
  (code: number): PluginsCtx => ({
    plugins: inp.plugins,
    resourceExists: inp.resourceExists,
    missingCode: code,
    remoteNamespaces: inp.remoteNamespaces,
  });

/** A relationship type's hierarchy, property schema and interfaces, computed once per type. */
function relationshipTypes(inp: NodesInput): (name: string) => RelType {
  const { relTypes } = inp;
  const relCache = new Map<string, RelType>();
  return (name) => {
    let r = relCache.get(name);
    if (!r) {
      const hierarchy = typeHierarchy(relTypes, name, 'relationship');
      const defs = hierarchy.map((t) => relTypes[t]);
      const props = schemaWithDefaults(relTypes, hierarchy, inp.merge);
      checkSchemaTypes(props, inp.merge.dataTypes, `relationships.${name}.properties`);
      r = {
        hierarchy,
        props,
        src: mergeTypeInterfaces(defs.map((d) => d.source_interfaces)),
        tgt: mergeTypeInterfaces(defs.map((d) => d.target_interfaces)),
      };
      relCache.set(name, r);
    }
    return r;
  };
}

/** The template's relationships with their properties, interfaces and operations. */
function buildRelationships(
  name: string,
  t: Record<string, any>,
  inp: NodesInput,
  relType: (name: string) => RelType,
): Record<string, any>[] {
  const ctx = pluginsCtx(inp);
  return (t.relationships ?? []).map((r: Record<string, any>, i: number) => {
    if (!(r.type in inp.relTypes))
      throw logicError(26, `Relationship type '${r.type}' of node '${name}' is not defined`);
    if (r.target === name) throw logicError(23, `Relationship of node '${name}' targets the node itself`);
    if (!(r.target in inp.templates))
      throw logicError(25, `Relationship target '${r.target}' of node '${name}' does not exist`);
    const rt = relType(r.type);
    const where = `node_templates.${name}.relationships.${i}`;
    const src = mergeTemplateInterfaces(rt.src, r.source_interfaces, `${where}.source_interfaces`);
    const tgt = mergeTemplateInterfaces(rt.tgt, r.target_interfaces, `${where}.target_interfaces`);
    return {
      type: r.type,
      target_id: r.target,
      properties: mergeProperties(rt.props, r.properties ?? {}, inp.merge, where),
      type_hierarchy: rt.hierarchy,
      source_interfaces: src,
      target_interfaces: tgt,
      source_operations: flattenOperations(src, ctx(19), `${where}.source_interfaces`),
      target_operations: flattenOperations(tgt, ctx(19), `${where}.target_interfaces`),
    };
  });
}

// elements/node_templates.py: the template's own `operation` property must name an operation the
// target *template* lists under cloudify.interfaces.lifecycle (215 / 216).
function checkLifecycleTargets(
  name: string,
  t: Record<string, any>,
  templates: NodesInput['templates'],
): void {
  for (const r of (t.relationships ?? []) as Record<string, any>[]) {
    if (r.type !== DEPENDS_ON_LIFECYCLE_OP) continue;
    const op = isDict(r.properties) ? r.properties.operation : undefined;
    if (op === undefined || op === null || op === '' || op === false || op === 0)
      throw logicError(
        215,
        `For "${name}" node, please supply "${DEPENDS_ON_LIFECYCLE_OP}" with a defined lifecycle operation target`,
      );
    const ifaces = templates[r.target]?.interfaces;
    const lifecycle = isDict(ifaces) ? ifaces['cloudify.interfaces.lifecycle'] : undefined;
    if (!isDict(lifecycle) || typeof op !== 'string' || !(op in lifecycle))
      throw logicError(
        216,
        `Please define "${op}" operation in the target node "${r.target}" for "${name}" node's "${DEPENDS_ON_LIFECYCLE_OP}" relationship`,
      );
  }
}

function instanceCounts(name: string, t: Record<string, any>, version: DslVersion) {
  const scalableGiven = isDict(t.capabilities) && t.capabilities.scalable !== undefined;
  if (t.capabilities !== undefined && !versionAtLeast(version, [1, 3])) {
    throw logicError(
      102,
      `capabilities not supported in version ${version.raw}, it was added in cloudify_dsl_1_3`,
    );
  }
  if (
    t.capabilities !== undefined &&
    t.capabilities !== null &&
    isDict(t.instances) &&
    t.instances.deploy !== undefined &&
    t.instances.deploy !== null
  ) {
    throw logicError(
      209,
      `Node '${name}' defines both instances.deploy and capabilities.scalable (instances.deploy is deprecated)`,
    );
  }
  const given = (scalableGiven ? t.capabilities.scalable.properties : undefined) ?? {};
  const deploy = t.instances?.deploy;
  const props = scalableProperties(
    { ...(deploy !== undefined ? { default_instances: deploy } : {}), ...given },
    `node_templates.${name}.capabilities.scalable.properties`,
  );
  return {
    instances: deploy !== undefined ? { deploy } : {},
    capabilities: { scalable: { properties: props } },
  };
}

/** Completes and validates scalable properties (elements/scalable.py). */
export function scalableProperties(given: Record<string, any>, where: string): Record<string, any> {
  for (const k of Object.keys(given)) {
    if (
      ![
        'default_instances',
        'min_instances',
        'max_instances',
        'current_instances',
        'planned_instances',
      ].includes(k)
    ) {
      throw logicError(1, `'${k}' is not a scalable property (${where})`);
    }
  }
  const p: Record<string, any> = { min_instances: 0, max_instances: -1, default_instances: 1, ...given };
  for (const k of ['default_instances', 'min_instances', 'max_instances'] as const) {
    const v = (p as any)[k];
    if (isDict(v)) {
      if (!isFunction(v))
        throw logicError(210, `${k} should be a valid intrinsic function or a value. (${where})`);
      continue;
    }
    if (k === 'max_instances' && typeof v === 'string') {
      if (v !== 'UNBOUNDED')
        throw logicError(208, `The only valid string for max_instances is UNBOUNDED. (${where})`);
      p.max_instances = -1;
      continue;
    }
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw logicError(210, `${k} should be a valid intrinsic function or a value. (${where})`);
  }
  const d = p.default_instances;
  const mn = p.min_instances;
  const mx = p.max_instances as number;
  if (typeof d === 'number' && d < 0)
    throw logicError(207, `default_instances should be a non negative value. (${where})`);
  if (typeof mn === 'number' && mn < 0)
    throw logicError(207, `min_instances should be a non negative value. (${where})`);
  if (typeof mx === 'number' && mx !== -1 && mx < 1)
    throw logicError(207, `max_instances should be a positive value. (${where})`);
  if (typeof d === 'number' && typeof mn === 'number' && d < mn) {
    throw logicError(207, `default_instances (${d}) cannot be smaller than min_instances (${mn}) (${where})`);
  }
  if (typeof d === 'number' && typeof mx === 'number' && mx !== -1 && d > mx) {
    throw logicError(207, `default_instances (${d}) cannot be greater than max_instances (${mx}) (${where})`);
  }
  return {
    min_instances: mn,
    max_instances: mx,
    default_instances: d,
    current_instances: p.current_instances ?? d,
    planned_instances: p.planned_instances ?? d,
  };
}

function assignHosts(nodes: Record<string, any>[]): void {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const hostOf = (n: Record<string, any>, seen: Set<string>): string | undefined => {
    if (n.type_hierarchy.includes(HOST_TYPE)) return n.name;
    if (seen.has(n.name)) throw logicError(100, `Containment cycle through node '${n.name}'`);
    seen.add(n.name);
    const c = n.relationships.find((r: any) => r.type_hierarchy.includes(CONTAINED_IN));
    return c ? hostOf(byName.get(c.target_id)!, seen) : undefined;
  };
  for (const n of nodes) {
    const h = hostOf(n, new Set());
    if (h !== undefined) n.host_id = h;
  }
}

const pluginRecord = (name: string, p: Record<string, any>) => ({
  source: p.source ?? null,
  executor: p.executor,
  install: p.install ?? true,
  install_arguments: p.install_arguments ?? null,
  package_name: p.package_name ?? null,
  package_version: p.package_version ?? null,
  supported_platform: p.supported_platform ?? null,
  distribution: p.distribution ?? null,
  distribution_version: p.distribution_version ?? null,
  distribution_release: p.distribution_release ?? null,
  properties_description: p.properties_description ?? null,
  properties: p.properties ?? {},
  name,
});
export { pluginRecord };

// Which plugin runs where (node_templates._process_nodes_plugins): a node's plugins are the distinct
// (plugin, executor) pairs of its own operations, its outgoing source operations and the target operations
// of relationships to it, each with the operation's executor; a host lists its hosted host_agent plugins.
function assignPlugins(nodes: Record<string, any>[], plugins: Record<string, Record<string, any>>): void {
  const opLists = new Map<string, Record<string, any>[]>(nodes.map((n) => [n.name, [n.operations]]));
  for (const n of nodes) {
    for (const r of n.relationships) {
      opLists.get(n.name)?.push(r.source_operations);
      opLists.get(r.target_id)?.push(r.target_operations);
    }
  }
  const byName = (list: Record<string, any>[]) => [...new Map(list.map((p) => [p.name, p])).values()];
  for (const n of nodes) {
    const seen = new Map<string, Record<string, any>>();
    for (const ops of opLists.get(n.name) ?? []) {
      for (const op of Object.values(ops ?? {})) {
        const key = JSON.stringify([op?.plugin, op?.executor]);
        if (op?.plugin && !seen.has(key))
          seen.set(key, { ...pluginRecord(op.plugin, plugins[op.plugin]), executor: op.executor });
      }
    }
    n.plugins = [...seen.values()];
    n.deployment_plugins_to_install = byName(
      n.plugins.filter((p: any) => p.executor === 'central_deployment_agent'),
    );
  }
  for (const n of nodes) {
    if (n.host_id === n.name) {
      const hosted = nodes.filter((o) => o.host_id === n.name).flatMap((o) => o.plugins);
      n.plugins_to_install = byName(hosted.filter((p: any) => p.executor === 'host_agent'));
    } else delete n.plugins_to_install;
  }
  for (const n of nodes) {
    const p = n.host_id === undefined && n.plugins.find((x: any) => x.executor === 'host_agent');
    if (p) {
      throw logicError(
        24,
        `node '${n.name}' has no relationship which makes it contained within a host and it has a plugin '${p.name}' with 'host_agent' as an executor. These types of plugins must be installed on a host`,
      );
    }
  }
}
