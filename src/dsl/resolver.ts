// The import resolver port and the URL rules that turn an import string into candidate locations.
import { posix } from 'node:path';

/**
 * Reads an import. `location` is either a relative path inside the blueprint (already joined with the
 * importing file's folder, e.g. `types/base.yaml`) or a URL (`http://…`, `file:…`, `builtin:…`).
 * Returns undefined when nothing is there; the parser then tries the next candidate.
 * Must not reach the network unless the caller explicitly wants that.
 */
export interface ImportResolver {
  read(location: string): string | undefined;
}

/**
 * Answers `plugin:<name>?version=…&distribution=…` imports with the plugin's YAML (from uploaded plugins);
 * `query` is the import's whole query (a version may repeat).
 */
export interface PluginImportResolver {
  read(name: string, query: URLSearchParams, properties: Record<string, unknown>): string | undefined;
}

/** Answers `blueprint:<id>` imports with an uploaded blueprint's main file. */
export interface BlueprintImportResolver {
  read(blueprintId: string): { text: string; location?: string } | undefined;
}

/** An ordered prefix rewrite, like the manager's `import_resolver.parameters.rules`. */
export type UrlRule = [prefix: string, replacement: string];

/**
 * Cloudify's spec URLs map to the bundled built-in types (`builtin:types.yaml`), so no blueprint
 * needs the network for `http://www.getcloudify.org/spec/cloudify/5.1/types.yaml` and friends.
 */
export const BUILTIN_SPEC_RULES: UrlRule[] = [
  ['http://www.getcloudify.org/spec/', 'builtin:spec/'],
  ['https://www.getcloudify.org/spec/', 'builtin:spec/'],
  ['http://getcloudify.org/spec/', 'builtin:spec/'],
  ['https://getcloudify.org/spec/', 'builtin:spec/'],
  ['http://cloudify.co/spec/', 'builtin:spec/'],
  ['https://cloudify.co/spec/', 'builtin:spec/'],
  ['http://www.cloudify.co/spec/', 'builtin:spec/'],
  ['https://www.cloudify.co/spec/', 'builtin:spec/'],
];

export const isUrl = (s: string): boolean =>
  /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(s) || s.startsWith('builtin:');

/** Rewrites by the first matching rule; with `fallback` the original URL is kept as a last candidate. */
export function applyUrlRules(url: string, rules: UrlRule[], fallback = true): string[] {
  const out: string[] = [];
  for (const [prefix, replacement] of rules) {
    if (url.startsWith(prefix)) {
      out.push(replacement + url.slice(prefix.length));
      break;
    }
  }
  if (fallback || out.length === 0) out.push(url);
  return out;
}

/** `types.yaml` from a `cloudify_dsl_1_4` blueprint is looked up as `types_1_4.yaml` first. */
export function withVersionSuffix(location: string, version: [number, number] | undefined): string[] {
  if (!version) return [location];
  const m = /^(.*)\.(yaml|yml)$/.exec(location);
  if (!m) return [location];
  return [`${m[1]}_${version[0]}_${version[1]}.${m[2]}`, location];
}

/** Candidate locations for one import string, in lookup order. */
export function candidateLocations(
  imp: string,
  importer: string | null,
  opts: { rules: UrlRule[]; fallback: boolean; resourcesBasePath?: string | null },
): string[] {
  if (isUrl(imp)) return applyUrlRules(imp, opts.rules, opts.fallback);
  const out: string[] = [];
  if (posix.isAbsolute(imp)) out.push(imp);
  else {
    if (importer !== null) {
      if (isUrl(importer)) {
        const base = importer.slice(0, importer.lastIndexOf('/') + 1);
        out.push(...applyUrlRules(base + imp, opts.rules, opts.fallback));
      } else out.push(posix.normalize(posix.join(posix.dirname(importer), imp)));
    } else out.push(posix.normalize(imp));
    if (opts.resourcesBasePath != null) out.push(posix.normalize(posix.join(opts.resourcesBasePath, imp)));
  }
  return [...new Set(out)];
}
