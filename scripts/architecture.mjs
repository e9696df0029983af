#!/usr/bin/env node
// The architecture as data: which folder of src/ may import which, the packages the pure core must not
// touch, and the size limits. `node scripts/architecture.mjs` writes them into biome.json as lint
// rules (one override per folder and depth, since Biome matches import specifiers, not resolved
// paths); `npm test` lints with them, and test/architecture checks biome.json is up to date.
import { readFileSync, writeFileSync } from 'node:fs';

/** Each folder of src/, bottom up, with the folders it may import (docs/architecture.md draws this). */
export const LAYERS = {
  common: [],
  dsl: ['common'],
  engine: ['common'],
  'dsl-fs': ['common', 'dsl'],
  store: ['common', 'engine'],
  bus: ['common'],
  executions: ['common', 'engine', 'store', 'bus'],
  manager: ['common', 'dsl', 'dsl-fs', 'engine', 'store', 'bus', 'executions'],
  worker: ['common', 'dsl', 'dsl-fs', 'engine', 'store', 'bus', 'executions'],
  installer: ['common'],
  lab: ['common'],
  // The CLI is a pure REST client; it parses blueprints locally (validate) with a lazy import only
  // (test/architecture checks that the import is dynamic).
  cli: ['dsl', 'dsl-fs'],
  entry: [
    'common',
    'dsl',
    'dsl-fs',
    'engine',
    'store',
    'bus',
    'executions',
    'manager',
    'worker',
    'installer',
    'lab',
    'cli',
  ],
};

/** Folders that stay pure: no I/O, no infrastructure packages. */
const PURE = ['common', 'dsl', 'engine'];
const IMPURE_MODULES = [
  'fastify',
  'postgres',
  '@electric-sql/pglite',
  'amqplib',
  'node:fs',
  'node:fs/promises',
  'node:child_process',
  'node:net',
  'node:http',
  'node:https',
];
/** common holds the errors catalogue and small helpers every layer shares; its I/O is named here. */
const PURE_EXCEPT = { common: ['node:child_process'] };

export const MAX_FUNCTION_LINES = 80;
export const MAX_FILE_LINES = 400;
/** Files allowed over MAX_FILE_LINES (at most 5), each with its reason. */
export const LONG_FILES = {};

/** How deep below src/ a file can sit (src/x/a.ts is 1). */
const MAX_DEPTH = 5;

function importRules(folder) {
  const allowed = new Set([folder, ...LAYERS[folder]]);
  const forbidden = Object.keys(LAYERS).filter((f) => !allowed.has(f));
  const overrides = [];
  for (let depth = 1; depth <= MAX_DEPTH; depth++) {
    const up = '../'.repeat(depth);
    const options = {
      patterns: [
        {
          group: forbidden.map((f) => `${up}${f}/**`),
          message: `src/${folder} may import only ${[...LAYERS[folder]].map((f) => `src/${f}`).join(', ') || 'its own files'} (see docs/architecture.md)`,
        },
      ],
    };
    if (PURE.includes(folder)) {
      const except = PURE_EXCEPT[folder] ?? [];
      options.paths = Object.fromEntries(
        IMPURE_MODULES.filter((m) => !except.includes(m)).map((m) => [
          m,
          `src/${folder} is pure: reach infrastructure through a port`,
        ]),
      );
    }
    overrides.push({
      includes: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
      linter: { rules: { style: { noRestrictedImports: { level: 'error', options } } } },
    });
  }
  return overrides;
}

export function biomeConfig(current) {
  const config = structuredClone(current);
  config.linter.rules.suspicious = { ...config.linter.rules.suspicious, noImportCycles: 'error' };
  config.overrides = [
    {
      includes: ['src/**'],
      linter: {
        rules: {
          complexity: {
            noExcessiveLinesPerFunction: { level: 'error', options: { maxLines: MAX_FUNCTION_LINES } },
          },
          style: { noExcessiveLinesPerFile: { level: 'error', options: { maxLines: MAX_FILE_LINES } } },
        },
      },
    },
    ...Object.keys(LAYERS).flatMap(importRules),
  ];
  const long = Object.keys(LONG_FILES);
  if (long.length > 5) throw new Error('at most 5 files may be over the file length limit');
  if (long.length) {
    config.overrides.push({
      includes: long,
      linter: { rules: { style: { noExcessiveLinesPerFile: 'off' } } },
    });
  }
  return config;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../biome.json', import.meta.url);
  const current = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, `${JSON.stringify(biomeConfig(current), null, 2)}\n`);
}
