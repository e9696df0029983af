#!/usr/bin/env node
// The build that `npm ci` runs (the `prepare` script) and `npm test` repeats: every file under src/
// transpiled to dist/ one to one (esbuild, no bundling, so module paths and import.meta.url stay as in
// src/), and the files that are not TypeScript (defaults, migrations, the Python shim) copied beside them;
// then the embedded database's template, dist/pglite-template (src/store/embedded.ts). The bins run dist/;
// type checking stays with tsc in `npm test` (decision 30 in docs/decisions.md).
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const out = join(root, 'dist');

const walk = (dir) =>
  readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });

const files = walk(src);
const sources = files.filter((f) => f.endsWith('.ts'));
const assets = files.filter((f) => !f.endsWith('.ts') && !f.endsWith('README.md'));

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir: out,
  outbase: src,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const f of assets) cpSync(f, join(out, relative(src, f)));

// A new embedded data directory starts as a copy of this template instead of running initdb.
const { makeTemplate, PGLITE_TEMPLATE } = await import(join(out, 'store/embedded.js'));
await makeTemplate(PGLITE_TEMPLATE);
