// Loading config.yaml (reference §2.1): packaged defaults, then the installed services as the default
// `services_to_install`, then each -c file deep-merged left to right (mappings merge, anything else
// replaces), then the command-line overrides. The result is checked against config/schema.ts; every
// problem is reported at once, before anything on the host changes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { Logger, redact } from '../log.js';
import { CLOUDIFY_DIR, DEFAULT_CONFIG, INSTALLED_DIR } from '../paths.js';
import { type Config, ConfigSchema } from './schema.js';

const log = new Logger('config');
const DEFAULTS_FILE = fileURLToPath(new URL('./defaults.yaml', import.meta.url));

export interface LoadOptions {
  /** The -c values, in order; default [/etc/cloudify/config.yaml]. */
  configFiles?: string[];
  privateIp?: string;
  publicIp?: string;
  adminPassword?: string;
  /** Directory of the installed markers (tests point it elsewhere). */
  installedDir?: string;
}

type Tree = Record<string, unknown>;
const isMap = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isMap(v) && isMap(out[k]) ? deepMerge(out[k] as Tree, v) : v;
  }
  return out;
}

export function packagedDefaults(): Tree {
  return parse(readFileSync(DEFAULTS_FILE, 'utf8')) as Tree;
}

/** -c paths: relative ones are under /etc/cloudify, and none may be outside it (reference §1.2). */
export function resolveConfigFiles(files: string[] | undefined): string[] {
  const list = files && files.length > 0 ? files : [DEFAULT_CONFIG];
  return list.map((f) => {
    const abs = isAbsolute(f) ? resolve(f) : resolve(CLOUDIFY_DIR, f);
    if (!abs.startsWith(`${CLOUDIFY_DIR}/`)) {
      throw new ValidationError(`Expected configuration files to be in ${CLOUDIFY_DIR}, but got: ${f}`);
    }
    return abs;
  });
}

export function installedServices(dir = INSTALLED_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => !n.endsWith('.yaml'));
}

export function loadConfig(opts: LoadOptions = {}): Config {
  let tree = packagedDefaults();
  const installed = installedServices(opts.installedDir);
  if (installed.length > 0) tree.services_to_install = installed;
  const files = resolveConfigFiles(opts.configFiles);
  const loaded: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) {
      log.debug(`Config file ${f} not found, skipping`);
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new ValidationError(`Cannot parse ${f}: ${(err as Error).message}`, {
        fix: 'fix the YAML syntax (indentation, quotes) and run the command again',
      });
    }
    if (doc === null || doc === undefined) doc = {};
    if (!isMap(doc)) throw new ValidationError(`${f} must be a YAML mapping of sections`);
    tree = deepMerge(tree, doc);
    loaded.push(f);
  }
  return finishConfig(tree, loaded, opts);
}

/** Overrides, schema check, and secret registration; separate so tests can feed a tree. */
export function finishConfig(tree: Tree, files: string[], opts: LoadOptions = {}): Config {
  const manager = isMap(tree.manager) ? (tree.manager as Tree) : {};
  if (opts.privateIp) manager.private_ip = opts.privateIp;
  if (opts.publicIp) manager.public_ip = opts.publicIp;
  if (opts.adminPassword) {
    manager.security = {
      ...(isMap(manager.security) ? manager.security : {}),
      admin_password: opts.adminPassword,
    };
  }
  tree.manager = manager;
  tree.config_files = files;
  registerSecrets(tree, '', publicValues(tree));
  const parsed = ConfigSchema.safeParse(tree);
  if (!parsed.success) {
    throw new ValidationError(
      `Invalid configuration (${files.join(', ') || 'defaults'}):\n${describeIssues(parsed.error.issues, packagedDefaults())}`,
      { fix: 'Fix the keys above in config.yaml and run the command again.' },
    );
  }
  return parsed.data;
}

const SECRET_KEY = /password|token|cookie|secret/i;

/**
 * Every value under a key that looks secret is scrubbed from the logs, except a value that the config
 * also uses openly (the default cloudify_password equals cloudify_username and appears in paths).
 */
function registerSecrets(v: unknown, key: string, open: Set<string>): void {
  if (isMap(v)) for (const [k, x] of Object.entries(v)) registerSecrets(x, k, open);
  else if (Array.isArray(v)) for (const x of v) registerSecrets(x, key, open);
  else if (SECRET_KEY.test(key) && (typeof v === 'string' || typeof v === 'number') && !open.has(String(v))) {
    redact(String(v));
  }
}

function publicValues(v: unknown, key = '', out = new Set<string>()): Set<string> {
  if (isMap(v)) for (const [k, x] of Object.entries(v)) publicValues(x, k, out);
  else if (Array.isArray(v)) for (const x of v) publicValues(x, key, out);
  else if (!SECRET_KEY.test(key) && typeof v === 'string') out.add(v);
  return out;
}

function at(tree: unknown, path: PropertyKey[]): unknown {
  let cur = tree;
  for (const p of path) cur = isMap(cur) ? cur[String(p)] : undefined;
  return cur;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length]![b.length]!;
}

function describeIssues(issues: z.core.$ZodIssue[], defaults: Tree): string {
  const lines: string[] = [];
  for (const issue of issues) {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys((at(defaults, issue.path) as Tree | undefined) ?? {});
      for (const key of issue.keys) {
        const full = where ? `${where}.${key}` : key;
        const near = known
          .map((k) => [k, distance(k, key)] as const)
          .sort((a, b) => a[1] - b[1])
          .find(([, d]) => d <= Math.max(2, Math.floor(key.length / 3)));
        lines.push(
          `  - unknown key ${full}: ${near ? `did you mean ${where ? `${where}.` : ''}${near[0]}?` : `valid keys${where ? ` under ${where}` : ''} are ${known.join(', ')}`}`,
        );
      }
    } else if (issue.code === 'invalid_type') {
      lines.push(`  - ${where}: expected ${issue.expected}; set it to a ${issue.expected} value`);
    } else if (issue.code === 'invalid_value' && 'values' in issue) {
      lines.push(`  - ${where}: must be one of ${(issue.values as unknown[]).join(', ')}`);
    } else {
      lines.push(`  - ${where}: ${issue.message}`);
    }
  }
  return lines.join('\n');
}
