// Cloudify's inputs/parameters forms for -i and -p (cfy-cli.md A.8): a YAML/JSON file, a directory
// or wildcard of YAML files, a JSON/YAML mapping string, or `k1=v1;k2=v2`. Repeated flags merge.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import YAML from 'yaml';
import { usageError } from './errors.js';

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function wildcard(pattern: string): string[] {
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${basename(pattern)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function fromFile(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw usageError(`Invalid inputs file ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isMapping(doc))
    throw usageError(`Invalid inputs file ${path}: it must hold a mapping of input names to values`);
  return doc;
}

const HELP =
  'give a YAML/JSON file, a directory or wildcard of YAML files, a JSON/YAML mapping, or key1=value1;key2=value2';

/** A `k=v` value is typed like a YAML scalar (3, 1.5, true, null); anything else stays a string. */
function scalar(v: string): unknown {
  if (!/^(-?\d+(\.\d+)?|true|false|null)$/.test(v.trim())) return v;
  return YAML.parse(v);
}

export function parseKeyValues(s: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const pair of s.split(';')) {
    if (!pair.trim()) continue;
    const i = pair.indexOf('=');
    if (i <= 0) return undefined;
    out[pair.slice(0, i).trim()] = scalar(pair.slice(i + 1));
  }
  return Object.keys(out).length ? out : undefined;
}

export function parseOneInput(resource: string): Record<string, unknown> {
  if (existsSync(resource)) {
    const st = statSync(resource);
    if (st.isDirectory())
      return Object.assign(
        {},
        ...readdirSync(resource)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => fromFile(join(resource, f))),
      );
    return fromFile(resource);
  }
  if (/[*?]/.test(resource)) {
    const files = wildcard(resource);
    if (files.length) return Object.assign({}, ...files.map(fromFile));
  }
  try {
    const doc = YAML.parse(resource);
    if (isMapping(doc)) return doc;
  } catch {
    // not YAML: try key=value pairs
  }
  const kv = parseKeyValues(resource);
  if (kv) return kv;
  if (/\.(ya?ml|json)$/.test(resource)) throw usageError(`Inputs file ${resource} does not exist`, HELP);
  throw usageError(`Invalid input: ${resource}. It must represent a dictionary`, HELP);
}

export function parseInputs(resources: string[] | undefined): Record<string, unknown> {
  return Object.assign({}, ...(resources ?? []).map(parseOneInput));
}
