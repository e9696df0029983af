#!/usr/bin/env node
// The README's test command: the build (scripts/build.mjs, which the bins run), then lint (Biome) and
// typecheck (tsc) side by side, then every test file under test/ with node's own runner, in two phases
// (README, Tests):
// 1. the files that assert no tight timing, two at a time (each starts its own throwaway servers on
//    free ports, so they do not share state);
// 2. the lab and cluster suites, and the files that measure failover or latency, one at a time, alone.
// Each phase ends with its slowest files (scripts/durations-reporter.mjs) beside the TAP output.
// Arguments narrow the run to files or folders: `npm test -- test/store`; the split still applies.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files that run alone, after the others, and why. Paths relative to the repository root. */
const SERIAL = [
  // Linux namespaces and real installs (root): one lab at a time, and their failover windows are timed.
  /^test\/lab\//,
  /^test\/installer\/[^/]*lab[^/]*\.test\.ts$/,
  /^test\/installer\/(bad-input|manager-external)\.test\.ts$/,
  // Failover and latency figures with tight bounds (ms), or a kill whose recovery is timed.
  /^test\/cli\/failover\.test\.ts$/,
  /^test\/store\/server-failover\.test\.ts$/,
  /^test\/manager\/no-db-leader\.test\.ts$/,
  /^test\/installer\/load-balancer\.test\.ts$/,
  /^test\/installer\/monitoring-prometheus\.test\.ts$/,
  /^test\/worker\/(broker-drop|graceful-stop|resume-embedded|resume-server)\.test\.ts$/,
  /^test\/worker\/(lease-takeover|db-outage|db-restart)\.test\.ts$/,
  // Every answer within 5 s.
  /^test\/manager\/openapi-sweep\.test\.ts$/,
];
const PARALLEL = 2;

const exec = (cmd, args) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const findTests = (p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .sort()
        .flatMap((e) => findTests(join(p, e)))
    : /\.test\.ts$/.test(p)
      ? [p]
      : [];

// --test-force-exit: a file whose tests all finished must not hang the run on a stray handle;
// --test-timeout: no single test may take more than 15 minutes (the longest cluster scenario takes ~2).
const nodeTest = (concurrency, files) =>
  exec(process.execPath, [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-force-exit',
    '--test-timeout=900000',
    '--test-reporter=tap',
    '--test-reporter-destination=stdout',
    `--test-reporter=${fileURLToPath(new URL('./durations-reporter.mjs', import.meta.url))}`,
    '--test-reporter-destination=stdout',
    ...files,
  ]);

const targets = process.argv.slice(2);
// The bins run the build (dist/), so every run rebuilds it from the tree under test first.
const built = await exec(process.execPath, ['scripts/build.mjs']);
if (built !== 0) process.exit(built);
if (targets.length === 0) {
  const codes = await Promise.all([
    exec('npx', ['biome', 'check', '.']),
    exec('npx', ['tsc', '--noEmit', '-p', '.']),
  ]);
  const failed = codes.find((c) => c !== 0);
  if (failed !== undefined) process.exit(failed);
}
const files = (targets.length ? targets : ['test']).flatMap(findTests);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const serial = (f) => SERIAL.some((re) => re.test(relative(process.cwd(), f).split('\\').join('/')));
const light = files.filter((f) => !serial(f));
const alone = files.filter(serial);
// Both phases run even when the first fails, so one run reports every failure.
let status = 0;
if (light.length) {
  console.log(`# ${light.length} test files, ${PARALLEL} at a time`);
  status = (await nodeTest(PARALLEL, light)) || status;
}
if (alone.length) {
  console.log(`# ${alone.length} lab, cluster and timing test files, one at a time`);
  status = (await nodeTest(1, alone)) || status;
}
process.exit(status);
