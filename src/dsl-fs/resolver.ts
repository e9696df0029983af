// ImportResolver adapter over node:fs for an extracted blueprint archive, and `parseBlueprintDir`, the
// entry point the manager's blueprint upload and `cfy blueprints validate` use. This is the only file of
// src/dsl that touches the file system; it reads inside the blueprint directory and nowhere else.
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DslError } from '../dsl/errors.js';
import { type ParseOptions, type Plan, parseBlueprint } from '../dsl/parser.js';
import { BUILTIN_SPEC_RULES, type ImportResolver, isUrl } from '../dsl/resolver.js';
import { YAML_LIMITS } from '../dsl/yaml-load.js';
import { pluginImportResolver, type UploadedPlugin, withManagerResources } from './plugins.js';

export interface FsResolverOptions {
  /** Largest file read, in bytes (default: the YAML loader's character limit). */
  maxFileBytes?: number;
}

/** True when `child` (absolute) is `root` or lies below it. */
const inside = (root: string, child: string): boolean => {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/**
 * Reads relative imports (as the parser hands them over: `types/base.yaml`, already joined with the
 * importing file's folder) from files under `rootDir`. Everything else answers undefined, so the parser
 * moves on to its next candidate and finally reports error 13 naming what it tried:
 * URLs (`http://…`, `file:…`; the built-in spec URLs are answered before this resolver is asked),
 * absolute paths, paths that escape `rootDir` with `..`, symlinks pointing outside it, directories
 * and missing files. A file larger than `maxFileBytes` is a DslError rather than a read.
 */
export function fsImportResolver(rootDir: string, opts: FsResolverOptions = {}): ImportResolver {
  const maxBytes = opts.maxFileBytes ?? YAML_LIMITS.maxChars;
  let root: string;
  try {
    root = realpathSync(resolve(rootDir));
  } catch {
    throw new DslError(13, `Blueprint directory '${rootDir}' does not exist`);
  }
  return {
    read(location: string): string | undefined {
      if (
        location === '' ||
        location.includes('\0') ||
        isUrl(location) ||
        /^[a-zA-Z][\w+.-]*:/.test(location)
      )
        return undefined;
      if (isAbsolute(location) || location.startsWith('\\')) return undefined;
      const full = resolve(root, location);
      if (!inside(root, full)) return undefined;
      let real: string;
      try {
        real = realpathSync(full);
      } catch {
        return undefined;
      }
      if (!inside(root, real)) return undefined;
      let fd: number;
      try {
        fd = openSync(real, 'r');
      } catch {
        return undefined;
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) return undefined;
        if (st.size > maxBytes) {
          throw new DslError(
            -1,
            `Failed to parse DSL: Illegal yaml; ${location} is ${st.size} bytes, more than the limit of ${maxBytes}`,
            'DSLParsingFormatException',
          );
        }
        const buf = Buffer.alloc(st.size);
        let off = 0;
        while (off < st.size) {
          const n = readSync(fd, buf, off, st.size - off, off);
          if (n === 0) break;
          off += n;
        }
        return buf.toString('utf8', 0, off);
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Options of `parseBlueprintDir`: everything `parseBlueprint` takes except the main file and resolver. */
export type ParseDirOptions = Omit<ParseOptions, 'mainFile' | 'mainText' | 'resolver'> &
  FsResolverOptions & {
    /** The uploaded plugins `plugin:` imports may name (the manager's, for the uploading tenant). */
    plugins?: readonly UploadedPlugin[];
  };

/**
 * Parses `mainFile` (relative to `dir`, e.g. `blueprint.yaml`) of an extracted blueprint archive.
 * Relative imports and script paths are read from `dir` only; Cloudify spec URLs are answered by the
 * bundled built-in types (`BUILTIN_SPEC_RULES` unless `opts.urlRules` says otherwise); nothing is fetched
 * from the network. `cloudify/types/types.yaml` (the manager's resources path) is the built-in types too,
 * unless the blueprint has that file; `plugin:` imports resolve against `opts.plugins` (none: not found).
 * Throws DslError (error 13 when the main file cannot be read; PluginImportError for `plugin:` imports).
 */
export function parseBlueprintDir(dir: string, mainFile: string, opts: ParseDirOptions = {}): Plan {
  const { maxFileBytes, plugins, ...parseOpts } = opts;
  const resolver = withManagerResources(fsImportResolver(dir, { maxFileBytes }));
  const main = mainFile.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  const mainText = resolver.read(main);
  if (mainText === undefined) {
    throw new DslError(13, `Blueprint main file '${mainFile}' could not be read inside '${dir}'`);
  }
  return parseBlueprint({
    urlRules: BUILTIN_SPEC_RULES,
    resolverOfPlugins: pluginImportResolver(plugins ?? []),
    ...parseOpts,
    mainFile: main,
    mainText,
    resolver,
  });
}
