#!/usr/bin/env node
// The README's test command: the build (scripts/build.mjs), lint (Biome), typecheck (tsc), then every test file under test/
// with node's own runner. Arguments narrow the run to files or folders: `npm test -- test/store`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const findTests = (p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .sort()
        .flatMap((e) => findTests(join(p, e)))
    : /\.test\.ts$/.test(p)
      ? [p]
      : [];

const targets = process.argv.slice(2);
// The bins run the build (dist/), so every run rebuilds it from the tree under test first.
run(process.execPath, ['scripts/build.mjs']);
if (targets.length === 0) {
  run('npx', ['biome', 'check', '.']);
  run('npx', ['tsc', '--noEmit', '-p', '.']);
}
const files = (targets.length ? targets : ['test']).flatMap(findTests);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// --test-force-exit: a file whose tests all finished must not hang the run on a stray handle;
// --test-timeout: no single test may take more than 15 minutes (the longest cluster scenario takes ~2).
run(process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=1',
  '--test-force-exit',
  '--test-timeout=900000',
  ...files,
]);
