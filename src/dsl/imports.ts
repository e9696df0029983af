// Import resolution and merging into one document (the reference's elements/imports.py rules).
import { BUILTIN_TYPES_YAML } from './builtin-types.js';
import { DslError, logicError } from './errors.js';
import {
  type BlueprintImportResolver,
  candidateLocations,
  type ImportResolver,
  type PluginImportResolver,
  type UrlRule,
  withVersionSuffix,
} from './resolver.js';
import { isDict, typeName } from './schema.js';
import { applyNamespace, NS_DELIM } from './namespace.js';
import { loadYaml, YAML_LIMITS } from './yaml-load.js';
import { parseVersion, type DslVersion, versionAtLeast } from './version.js';

export interface LoadOptions {
  resolver: ImportResolver;
  plugins?: PluginImportResolver;
  blueprints?: BlueprintImportResolver;
  rules: UrlRule[];
  fallback: boolean;
  resourcesBasePath?: string | null;
  validateVersion: boolean;
}

export interface MergedBlueprint {
  doc: Record<string, any>;
  version: DslVersion;
  importedBlueprints: string[];
  namespacesMapping: Record<string, string>;
  /** Top-level keys of the main file (version gating looks at these). */
  mainKeys: string[];
}

// Sections that only the main file may hold before 1_3.
const MAIN_ONLY_BEFORE_1_3 = [
  'inputs',
  'outputs',
  'node_templates',
  'capabilities',
  'labels',
  'blueprint_labels',
  'resource_tags',
];
const FIRST_WINS = new Set(['workflows', 'labels', 'blueprint_labels', 'resource_tags']);
const IGNORED = new Set([
  'tosca_definitions_version',
  'imports',
  'dsl_definitions',
  'imported_blueprints',
  'namespaces_mapping',
]);

/** Loads the main file and everything it imports, merged into one document. */
export function loadAndMerge(
  mainText: string,
  mainLocation: string | null,
  opts: LoadOptions,
): MergedBlueprint {
  const main = asDoc(loadYaml(mainText, mainLocation ?? 'main blueprint'), mainLocation);
  const version = parseVersion(main.tosca_definitions_version, true)!;
  const merged: Record<string, any> = {};
  const origin = new Map<string, boolean>(); // section.name -> came from the cloudify basic types file
  const importedBlueprints: string[] = [];
  const namespacesMapping: Record<string, string> = {};
  const seen = new Set<string>();
  let versionError: DslError | undefined;
  const files: {
    data: Record<string, any>;
    location: string | null;
    ns: string | undefined;
    isMain: boolean;
  }[] = [];
  // Breadth-first over the import graph; an already imported file is skipped, so cycles terminate.
  const queue: {
    data: Record<string, any>;
    location: string | null;
    ns: string | undefined;
    isMain: boolean;
  }[] = [{ data: main, location: mainLocation, ns: undefined, isMain: true }];
  if (mainLocation !== null) seen.add(`${mainLocation}|`);
  while (queue.length > 0) {
    const file = queue.shift()!;
    const imports = file.data.imports;
    if (imports !== undefined && imports !== null) {
      if (!Array.isArray(imports)) {
        throw new DslError(1, `Expected 'list' type but found '${typeName(imports)}' type (path: imports)`);
      }
      const names = imports.map((i) =>
        typeof i === 'string' ? i : isDict(i) ? Object.keys(i)[0] : String(i),
      );
      if (new Set(names).size !== names.length) {
        throw new DslError(2, `Duplicate imports: ${names.join(', ')}`, 'DSLParsingFormatException');
      }
      for (const imp of imports) {
        const loaded = loadImport(imp, file.location, file.ns, version, opts, namespacesMapping);
        if (loaded === undefined) continue;
        versionError ??= loaded.versionError;
        const key = `${loaded.location}|${loaded.ns ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (seen.size > YAML_LIMITS.maxImportedFiles) {
          throw logicError(
            13,
            `Import failed: more than ${YAML_LIMITS.maxImportedFiles} files imported; runaway import chain at '${loaded.ns ? `${loaded.ns}${NS_DELIM}` : ''}${loaded.location}' (imported from '${file.location ?? 'main blueprint'}')`,
          );
        }
        queue.push({ ...loaded, isMain: false });
      }
    }
    files.push(file);
  }
  if (versionError) throw versionError;
  // Like the reference: fetch everything first, then merge in breadth-first order.
  for (const f of files) mergeFile(merged, f.data, f.isMain, version, origin, f.ns);
  // Blueprints imported here (in fetch order, repeats kept), then those the imported blueprints list.
  for (const id of Object.values(namespacesMapping)) importedBlueprints.push(id);
  for (const f of files) {
    const list = f.data.imported_blueprints;
    if (Array.isArray(list))
      for (const id of list) if (!importedBlueprints.includes(id)) importedBlueprints.push(id);
  }
  for (const f of files) {
    const m = f.data.namespaces_mapping;
    if (!isDict(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      const key = f.ns !== undefined && !k.startsWith('cloudify.') ? `${f.ns}${NS_DELIM}${k}` : k;
      if (key in namespacesMapping)
        throw logicError(
          4,
          `Failed on import: Could not merge '${key}' of 'namespaces_mapping' due to conflict`,
        );
      namespacesMapping[key] = v;
    }
  }
  return { doc: merged, version, importedBlueprints, namespacesMapping, mainKeys: Object.keys(main) };
}

function asDoc(data: unknown, where: string | null): Record<string, any> {
  if (data === null || data === undefined) return {};
  if (!isDict(data)) {
    throw new DslError(
      -1,
      `Failed to parse DSL: ${where ?? 'blueprint'} is not a YAML mapping`,
      'DSLParsingFormatException',
    );
  }
  return data;
}

function loadImport(
  imp: unknown,
  importer: string | null,
  parentNs: string | undefined,
  version: DslVersion,
  opts: LoadOptions,
  nsMap: Record<string, string>,
): Loaded | undefined {
  let spec: string;
  let props: Record<string, unknown> = {};
  if (typeof imp === 'string') spec = imp;
  else if (isDict(imp) && Object.keys(imp).length === 1) {
    spec = Object.keys(imp)[0];
    const p = imp[spec];
    if (!isDict(p))
      throw new DslError(1, `Expected 'dict' type but found '${typeName(p)}' type (path: imports.${spec})`);
    props = p;
  } else throw new DslError(1, `Expected 'string' type but found '${typeName(imp)}' type (path: imports)`);
  let ns: string | undefined;
  let target = spec;
  // The namespace is what comes before the last delimiter, and may not contain one itself (212).
  const d = spec.lastIndexOf(NS_DELIM);
  if (d > 0 && !/^[a-z]+:\/\//.test(spec.slice(0, d))) {
    ns = spec.slice(0, d);
    target = spec.slice(d + NS_DELIM.length);
    if (ns.includes(NS_DELIM))
      throw logicError(212, `Invalid ${ns}: import's namespace cannot contain namespace delimiter`);
  }
  const fullNs = ns === undefined ? parentNs : parentNs === undefined ? ns : `${parentNs}${NS_DELIM}${ns}`;
  let text: string | undefined;
  let location: string;
  if (target.startsWith('blueprint:')) {
    const id = target.slice('blueprint:'.length);
    if (ns === undefined)
      throw logicError(213, `Blueprint import '${spec}' must be namespaced (use 'ns--blueprint:${id}')`);
    const bp = opts.blueprints?.read(id);
    if (!bp) throw logicError(13, `Could not import '${spec}': no uploaded blueprint '${id}'`);
    text = bp.text;
    location = bp.location ?? `blueprint:${id}`;
    if (nsMap[fullNs!] !== undefined && nsMap[fullNs!] !== id)
      throw logicError(
        214,
        `Import failed ${fullNs}: can not use the same namespace for importing blueprints`,
      );
    nsMap[fullNs!] = id;
  } else if (target.startsWith('plugin:')) {
    const [name, query] = target.slice('plugin:'.length).split('?');
    text = opts.plugins?.read(name, new URLSearchParams(query ?? ''), props);
    if (text === undefined)
      throw logicError(13, `Could not import '${spec}': plugin '${name}' is not uploaded`);
    location = `plugin:${name}`;
  } else {
    const tried: string[] = [];
    location = '';
    for (const cand of candidateLocations(target, importer, opts)) {
      for (const loc of withVersionSuffix(cand, version.number)) {
        tried.push(loc);
        text = opts.resolver.read(loc);
        if (text !== undefined) {
          location = loc;
          break;
        }
      }
      if (text !== undefined) break;
    }
    if (text === undefined) {
      throw logicError(
        13,
        `Failed on import - Unable to open import url ${target} (tried: ${tried.join(', ')})`,
      );
    }
  }
  let data = text === BUILTIN_TYPES_YAML ? builtinDoc() : asDoc(loadYaml(text, location), location);
  // A newer version is reported once every import is fetched, as the reference (28).
  let versionError: DslError | undefined;
  const v = data.tosca_definitions_version;
  if (v !== undefined && v !== null && opts.validateVersion) {
    const iv = parseVersion(v, false);
    if (iv && !versionAtLeast(version, iv.number)) {
      versionError = logicError(
        28,
        `An import uses a newer DSL version (${iv.raw}) than the main blueprint (${version.raw})`,
      );
    }
  }
  if (fullNs !== undefined && isBasicTypes(data)) {
    // The basic types may not get a namespace of their own (214); inside a namespaced file they are
    // imported without one (imports.validate_import_namespace).
    if (fullNs !== parentNs)
      throw logicError(214, `Invalid import namespace ${fullNs}: cannot be used on Cloudify basic types.`);
    return { data, location, ns: undefined, versionError };
  }
  if (fullNs !== undefined) data = applyNamespace(data, fullNs);
  return { data, location, ns: fullNs, versionError };
}

interface Loaded {
  data: Record<string, any>;
  location: string;
  ns: string | undefined;
  versionError?: DslError;
}

// imports.is_cloudify_basic_types: the file defines cloudify.nodes.Root itself (metadata alone is not enough).
const isBasicTypes = (data: Record<string, any>): boolean =>
  isDict(data.node_types) && 'cloudify.nodes.Root' in data.node_types;

function mergeFile(
  merged: Record<string, any>,
  data: Record<string, any>,
  isMain: boolean,
  version: DslVersion,
  origin: Map<string, boolean>,
  ns: string | undefined,
): void {
  const basic = isBasicTypes(data);
  for (const [section, value] of Object.entries(data)) {
    if (IGNORED.has(section)) continue;
    // description and metadata: an import's is used only when no file before it had one (DONT_OVERWRITE).
    if (!isMain && (section === 'description' || section === 'metadata') && section in merged) continue;
    if (isMain || !isDict(value) || !isDict(merged[section] ?? {})) {
      if (!isMain && merged[section] !== undefined && !isDict(value)) continue;
      if (isMain) {
        merged[section] = value;
        if (isDict(value)) for (const k of Object.keys(value)) origin.set(`${section}.${k}`, basic);
      } else if (merged[section] === undefined) merged[section] = isDict(value) ? { ...value } : value;
      continue;
    }
    if (
      MAIN_ONLY_BEFORE_1_3.includes(section) &&
      merged[section] !== undefined &&
      !versionAtLeast(version, [1, 3])
    ) {
      throw logicError(
        3,
        `Import failed: non-mergeable field: '${section}'. It can be imported multiple times only from cloudify_dsl_1_3`,
      );
    }
    if (!merged[section]) merged[section] = {};
    const target = merged[section];
    for (const [name, def] of Object.entries(value)) {
      const key = `${section}.${name}`;
      if (!(name in target)) {
        target[name] = def;
        origin.set(key, basic);
        continue;
      }
      // Cloudify basic types and any `cloudify.*` name may be defined again: the later definition wins.
      if (basic || name.startsWith('cloudify.')) {
        target[name] = def;
        origin.set(key, basic);
        continue;
      }
      // A workflow defined again gets the later file's fields it lacks (imports._merge_workflows).
      if (section === 'workflows' && isDict(target[name]) && isDict(def))
        target[name] = { ...def, ...target[name] };
      if (FIRST_WINS.has(section)) continue;
      if (section === 'node_templates' && mergeNodeTemplate(target, name, def)) continue;
      if (section === 'inputs' && ns !== undefined) continue;
      throw logicError(4, `Failed on import: Could not merge '${name}' of '${section}' due to conflict`);
    }
  }
}

// A node template defined again by a later file (_merge_node_templates_relationships): only possible when
// the earlier one has relationships. A relationships-only stub is completed by the later definition (its
// fields copied, relationships appended); a later relationships-only definition appends its relationships.
function mergeNodeTemplate(target: Record<string, any>, name: string, def: unknown): boolean {
  const cur = target[name];
  if (!isDict(cur) || !isDict(def) || !('relationships' in cur)) return false;
  const onlyRels = (d: Record<string, any>) => 'relationships' in d && Object.keys(d).length === 1;
  const rels = (d: Record<string, any>): unknown[] => (Array.isArray(d.relationships) ? d.relationships : []);
  if (Object.keys(cur).length === 1 && ('type' in def || onlyRels(def))) {
    const next: Record<string, any> = { ...cur };
    for (const [k, v] of Object.entries(def)) {
      if (k === 'relationships') next.relationships = [...rels(cur), ...rels(def)];
      else if (isDict(v) || typeof v === 'string') next[k] = v;
    }
    target[name] = next;
    return true;
  }
  if (onlyRels(def)) {
    target[name] = { ...cur, relationships: [...rels(cur), ...rels(def)] };
    return true;
  }
  return false;
}

// The bundled types are imported by nearly every blueprint: parse them once, hand out copies.
let builtinCache: Record<string, any> | undefined;
function builtinDoc(): Record<string, any> {
  builtinCache ??= asDoc(loadYaml(BUILTIN_TYPES_YAML, 'builtin:types.yaml'), 'builtin:types.yaml');
  return builtinCache; // read-only: merging copies each section before adding to it
}
