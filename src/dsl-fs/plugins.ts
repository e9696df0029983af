// `plugin:<name>?version=<spec>` imports against the plugins uploaded to the manager (the caller hands
// over those the tenant may see), and the manager's resources a 5.x blueprint imports by relative path
// (`cloudify/types/types.yaml`). Cloudify's rules (rest-service resolver_with_catalog_support.py): the
// plugins named <name>; none → "Plugin <name> (query: …) not found"; then those whose version is in the
// specifier set (PEP 440: `1.0`, `==1.0`, `>=1.0,<2`, `~=1.2`, `!=1.1`, `==1.*`; pre-releases only when
// the specifier names one), the highest one wins;
// none → "No matching version was found …"; its plugin YAML is the import's text.
import { BUILTIN_TYPES_YAML } from '../dsl/builtin-types.js';
import { DslError } from '../dsl/errors.js';
import type { ImportResolver, PluginImportResolver } from '../dsl/resolver.js';

/** An uploaded plugin, as the manager lists it for import resolution. */
export interface UploadedPlugin {
  package_name: string;
  package_version: string;
  distribution: string | null;
  /** The plugin YAML uploaded with the wagon; null when the wagon came alone. */
  yaml_text: string | null;
}

/** A `plugin:` import no uploaded plugin answers; the manager reports it as `invalid_plugin_error`. */
export class PluginImportError extends DslError {
  readonly errorCode = 'invalid_plugin_error';
  constructor(message: string) {
    super(null, message, 'DSLParsingLogicException');
  }
}

type Version = { nums: number[]; rest: string; raw: string };

function parseVersion(raw: string): Version {
  const m = /^v?(\d+(?:\.\d+)*)(.*)$/i.exec(raw.trim());
  if (!m) return { nums: [], rest: raw.trim(), raw };
  return { nums: m[1].split('.').map(Number), rest: m[2].replace(/^[.-]/, ''), raw };
}

function compare(a: Version, b: Version): number {
  const n = Math.max(a.nums.length, b.nums.length);
  for (let i = 0; i < n; i++) {
    const d = (a.nums[i] ?? 0) - (b.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  // A release sorts after its pre-releases and dev builds (1.0rc1 < 1.0); a post release after it.
  const rank = (r: string) => (r === '' ? 1 : /^(post|\d)/i.test(r) ? 2 : 0);
  const d = rank(a.rest) - rank(b.rest);
  if (d !== 0) return d;
  return a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0;
}

/** A pre-release or dev build (1.0rc1, 2.0b2, 3.0.dev1), which a specifier leaves out unless it names one. */
const isPre = (v: Version) => v.nums.length > 0 && v.rest !== '' && !/^(post|\d)/i.test(v.rest);

/** Whether a clause lets pre-releases in (packaging: it names a pre-release with ==, >=, <=, ~= or ===). */
function allowsPre(spec: string): boolean {
  const m = /^\s*(~=|===|==|!=|<=|>=|<|>)?\s*([^\s]+)\s*$/.exec(spec);
  return !!m && !['!=', '<', '>'].includes(m[1] ?? '') && isPre(parseVersion(m[2].replace(/\.\*$/, '')));
}

/** One clause of a specifier set as a predicate; undefined when it is not a valid clause. */
function clause(spec: string): ((v: Version) => boolean) | undefined {
  const m = /^\s*(~=|===|==|!=|<=|>=|<|>)?\s*([^\s]+)\s*$/.exec(spec);
  if (!m) return undefined;
  const [, op, target] = m;
  if (op === undefined || op === '===') return (v) => v.raw.trim() === target;
  if ((op === '==' || op === '!=') && target.endsWith('.*')) {
    const prefix = parseVersion(target.slice(0, -2)).nums;
    const match = (v: Version) => prefix.every((p, i) => (v.nums[i] ?? 0) === p);
    return op === '==' ? match : (v) => !match(v);
  }
  const t = parseVersion(target);
  if (t.nums.length === 0) return undefined;
  switch (op) {
    case '==':
      return (v) => compare(v, t) === 0;
    case '!=':
      return (v) => compare(v, t) !== 0;
    case '<=':
      return (v) => compare(v, t) <= 0;
    case '>=':
      return (v) => compare(v, t) >= 0;
    case '<':
      return (v) => compare(v, t) < 0;
    case '>':
      return (v) => compare(v, t) > 0;
    default: {
      // ~=1.2.3: >=1.2.3 and ==1.2.*
      const prefix = t.nums.slice(0, -1);
      return (v) => compare(v, t) >= 0 && prefix.every((p, i) => (v.nums[i] ?? 0) === p);
    }
  }
}

const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

/** Picks the plugin a `plugin:` import names, or throws Cloudify's error. */
export function choosePlugin(
  plugins: readonly UploadedPlugin[],
  name: string,
  version: string | string[] | undefined,
  distribution?: string,
): UploadedPlugin {
  const versions = version === undefined ? [] : typeof version === 'string' ? [version] : version;
  const named = plugins.filter(
    (p) => p.package_name === name && (distribution === undefined || p.distribution === distribution),
  );
  if (named.length === 0) {
    const q = [
      ...(distribution !== undefined ? [`'distribution': ${pyList([distribution])}`] : []),
      `'package_name': '${name}'`,
      ...(versions.length ? [`'package_version': ${pyList(versions)}`] : []),
    ];
    throw new PluginImportError(`Plugin ${name} (query: {${q.join(', ')}}) not found`);
  }
  const specs = versions.flatMap((v) => v.split(','));
  const clauses = specs.map((s) => (s.trim() === '' ? undefined : clause(s)));
  const pre = specs.some(allowsPre);
  if (clauses.some((c) => c === undefined)) {
    throw new PluginImportError(
      `Specified version param ${pyList(versions)} of the plugin ${name} are in an invalid form. Please refer to the documentation for valid forms of versions`,
    );
  }
  const matching = named
    .map((p) => ({ p, v: parseVersion(p.package_version) }))
    .filter(({ v }) => (pre || !isPre(v)) && clauses.every((c) => c!(v)));
  if (matching.length === 0) {
    throw new PluginImportError(
      `No matching version was found for plugin ${name} and version(s) ${pyList(versions)}.`,
    );
  }
  return matching.reduce((best, x) => (compare(x.v, best.v) > 0 ? x : best)).p;
}

/** Answers `plugin:` imports from `plugins` (those the uploading tenant may see). */
export function pluginImportResolver(plugins: readonly UploadedPlugin[]): PluginImportResolver {
  return {
    read(name, query) {
      const versions = query.getAll('version');
      const p = choosePlugin(
        plugins,
        name,
        versions.length ? versions : undefined,
        query.get('distribution') ?? undefined,
      );
      if (p.yaml_text === null) {
        throw new PluginImportError(`Plugin ${p.package_name}: expected one yaml file, but found 0`);
      }
      return p.yaml_text;
    },
  };
}

/**
 * The manager's own resources a blueprint may import by a path relative to the resources root, answered
 * when the blueprint has no file of that name: `cloudify/types/types.yaml` is our built-in types.
 */
export function withManagerResources(inner: ImportResolver): ImportResolver {
  return {
    read(location) {
      const text = inner.read(location);
      if (text !== undefined) return text;
      return location.replace(/^(\.\/)+/, '') === 'cloudify/types/types.yaml'
        ? BUILTIN_TYPES_YAML
        : undefined;
    },
  };
}
