// Safe YAML loading: YAML 1.1 semantics like PyYAML (the reference loader), with hard limits so that
// alias bombs, huge files and deep nesting end in a DslError instead of exhausting memory or the stack.
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { DslError } from './errors.js';

export const YAML_LIMITS = {
  /** Largest accepted file, in characters. */
  maxChars: 20 * 1024 * 1024,
  /** Deepest accepted collection nesting. */
  maxDepth: 256,
  /** Alias expansions allowed per document (yaml's own guard against billion-laughs). */
  maxAliasCount: 1000,
  /**
   * Files one blueprint may pull in through imports (each file once per namespace). Re-importing a file
   * is skipped like the reference does, so only a genuine runaway (ever-new paths or namespaces, e.g.
   * `a.yaml` importing `ns--a.yaml`) reaches this, and ends in error 13 instead of exhausting memory.
   */
  maxImportedFiles: 1000,
};

const illegalYaml = (detail: string): DslError =>
  new DslError(-1, `Failed to parse DSL: Illegal yaml; ${detail}`, 'DSLParsingFormatException');

// Errors PyYAML's scanner raises itself (ScannerError, no DSL code) rather than its parser (which the
// reference wraps as DSLParsingFormatException -1), by the YAML library's error code.
const SCANNER_ERRORS = new Set(['MISSING_CHAR', 'TAB_AS_INDENT', 'BAD_SCALAR_START']);
// PyYAML's "mapping values are not allowed here", marked at the ':'.
const isNestedCompact = (code?: string, what = '') =>
  code === 'BLOCK_AS_IMPLICIT_KEY' && what.startsWith('Nested mappings');

/** A YAML syntax error at an offset, with the reference's class and code and its line and column (1-based). */
function yamlSyntaxError(
  text: string,
  where: string,
  offset: number | undefined,
  what: string,
  libCode?: string,
): DslError {
  if (offset === undefined) return illegalYaml(`${where}: ${what}`);
  // the reference marks the token, not the indentation before it; for a nested compact mapping, its ':'
  while (text[offset] === ' ') offset++;
  if (isNestedCompact(libCode, what) && text.indexOf(':', offset) >= 0) offset = text.indexOf(':', offset);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  const at = `in "${where}", line ${line}, column ${column}`;
  const e =
    (libCode !== undefined && SCANNER_ERRORS.has(libCode)) || isNestedCompact(libCode, what)
      ? new DslError(null, `${what} ${at}`, 'ScannerError')
      : illegalYaml(`${what} ${at}`);
  e.line = line;
  e.column = column;
  return e;
}

const PY_FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

function pyFloat(src: string): number {
  const s = src.replace(/_/g, '');
  if (/\.(?:inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/\.(?:nan|NaN|NAN)$/.test(s)) return Number.NaN;
  if (!s.includes(':')) return Number(s);
  const sign = s.startsWith('-') ? -1 : 1;
  return (
    sign *
    s
      .replace(/^[-+]/, '')
      .split(':')
      .reduce((acc, part) => acc * 60 + Number(part), 0)
  );
}

/** Parse one YAML text into plain JSON-like data. `where` names the file in error messages. */
export function loadYaml(text: string, where = '<blueprint>'): unknown {
  if (text.length > YAML_LIMITS.maxChars) {
    throw illegalYaml(
      `${where} is ${text.length} characters, more than the limit of ${YAML_LIMITS.maxChars}`,
    );
  }
  // The reference loader accepts ASCII only (error 108).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range is the point
  const bad = /[^\x00-\x7f]/.exec(text);
  if (bad) {
    const line = text.slice(0, bad.index).split('\n').length;
    throw new DslError(
      108,
      `illegal characters in ${where} line ${line}. Only valid ascii chars are supported.`,
      'DSLParsingInputTypeException',
    );
  }
  // Cheap pre-scan: flow collections nest by brackets; stop pathological depth before the parser recurses.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > YAML_LIMITS.maxDepth)
        throw illegalYaml(`${where}: nesting deeper than ${YAML_LIMITS.maxDepth}`);
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 10) depth = Math.max(depth, 0);
  }
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, {
      version: '1.1',
      merge: true,
      uniqueKeys: true,
      prettyErrors: false,
      // Keep timestamps as strings: plans are JSON.
      // Keep timestamps as strings (plans are JSON) and use PyYAML's booleans (y/n are strings there).
      customTags: (tags) => [
        ...tags.filter(
          (t) =>
            typeof t === 'string' ||
            (t.tag !== 'tag:yaml.org,2002:timestamp' &&
              t.tag !== 'tag:yaml.org,2002:bool' &&
              t.tag !== 'tag:yaml.org,2002:float'),
        ),
        {
          // PyYAML's float: a '.' is required and an exponent needs its sign (`1e3` is a string there)
          tag: 'tag:yaml.org,2002:float',
          default: true,
          test: PY_FLOAT,
          resolve: pyFloat,
        },
        {
          tag: 'tag:yaml.org,2002:bool',
          default: true,
          test: /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
          resolve: () => true,
        },
        {
          tag: 'tag:yaml.org,2002:bool',
          default: true,
          test: /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
          resolve: () => false,
        },
      ],
    });
  } catch (e) {
    throw illegalYaml(`${where}: ${(e as Error).message}`);
  }
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    if (err.code === 'DUPLICATE_KEY') {
      throw new DslError(
        -1,
        `Failed to parse DSL: duplicate key in ${where}: ${err.message}`,
        'DSLParsingFormatException',
      );
    }
    throw yamlSyntaxError(text, where, err.pos?.[0], err.message, err.code);
  }
  checkNode(doc.contents as Node | null, 0, where);
  try {
    const js = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
    markFloats(doc.contents as Node | null, js);
    return js;
  } catch (e) {
    const m = (e as Error).message;
    if (/^Unresolved alias/.test(m)) throw new DslError(null, `${where}: ${m}`, 'ComposerError');
    throw illegalYaml(`${where}: ${m}`);
  }
}

// Walk the syntax tree (aliases not followed) to bound depth and reject non-string mapping keys.
function checkNode(node: Node | null, depth: number, where: string): void {
  if (node === null || isScalar(node) || isAlias(node)) return;
  if (depth > YAML_LIMITS.maxDepth)
    throw illegalYaml(`${where}: nesting deeper than ${YAML_LIMITS.maxDepth}`);
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key as Node | null;
      if (isAlias(key)) continue;
      if (!isScalar(key) || (typeof key.value !== 'string' && !isMergeKey(key))) {
        const shown = isScalar(key) ? JSON.stringify(key.value) : 'a collection';
        throw new DslError(
          1,
          `${where}: mapping keys must be strings, found ${shown}`,
          'DSLParsingFormatException',
        );
      }
      checkNode(pair.value as Node | null, depth + 1, where);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) checkNode(item as Node | null, depth + 1, where);
  }
}

const isMergeKey = (key: { value: unknown; source?: string }): boolean =>
  typeof key.value === 'symbol' || key.source === '<<';

// JavaScript has one number type, so `5.0` loads as 5. PyYAML keeps it a float, which an `integer`
// property rejects; the loader remembers such values by their container and key (see isYamlFloat).
const FLOATS = new WeakMap<object, Set<string | number>>();

/** True when `container[key]` was written as a float with an integral value (`5.0`, `1e3`). */
export const isYamlFloat = (container: unknown, key: string | number): boolean =>
  typeof container === 'object' && container !== null && FLOATS.get(container)?.has(key) === true;

const floatSource = (src: unknown) =>
  typeof src === 'string' && (src.includes('.') || (/[eE]/.test(src) && !/^[-+]?0x/i.test(src)));

function markFloats(node: Node | null, js: unknown): void {
  if (node === null || js === null || typeof js !== 'object') return;
  const mark = (key: string | number, child: unknown, value: unknown) => {
    if (
      isScalar(child) &&
      typeof value === 'number' &&
      Number.isInteger(value) &&
      floatSource(child.source)
    ) {
      const set = FLOATS.get(js) ?? new Set();
      set.add(key);
      FLOATS.set(js, set);
    } else if (!isAlias(child)) markFloats(child as Node | null, value);
  };
  if (isMap(node) && !Array.isArray(js)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string') continue;
      mark(pair.key.value, pair.value, (js as Record<string, unknown>)[pair.key.value]);
    }
  } else if (isSeq(node) && Array.isArray(js)) {
    node.items.forEach((item, i) => {
      mark(i, item, js[i]);
    });
  }
}
