#!/usr/bin/env node
// The README's test command: the build (scripts/build.mjs, which the bins run), then lint (Biome) and
// typecheck (tsc) side by side, then every test file under test/ with node's own runner (README, Tests):
// 1. side by side, two lanes, their output lines tagged [labs] and [rest]:
//    - the lab suites, one at a time (they wait on installs and failovers more than they compute), then a
//      third of the files whose recoveries are timed;
//    - the files that assert no tight timing, one at a time beside the labs (two at a time without them;
//      each starts its own throwaway servers on free ports, so they share no state), then the other files
//      whose recoveries are timed (a kill, a lease), one at a time;
// 2. alone: the installer on this host (which the labs share) and the failover and latency figures with
//    tight bounds, one at a time.
// Each group ends with its slowest files (scripts/durations-reporter.mjs) beside the TAP output.
// Arguments narrow the run to files or folders: `npm test -- test/store`; the split still applies.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The lab suites (Linux namespaces and real installs, as root): one at a time. Paths relative to the root. */
const LABS = [/^test\/lab\//, /^test\/installer\/[^/]*lab[^/]*\.test\.ts$/];
/** Files with a kill whose recovery is timed, or every answer within 5 s: one at a time, after the light ones. */
const TIMED = [
  /^test\/manager\/no-db-leader\.test\.ts$/,
  /^test\/worker\/(broker-drop|graceful-stop|resume-embedded|resume-server)\.test\.ts$/,
  /^test\/worker\/(lease-takeover|db-outage|db-restart)\.test\.ts$/,
  /^test\/manager\/openapi-sweep\.test\.ts$/,
];
/** Files that run with nothing else beside them, at the end, and why. */
const ALONE = [
  // The installer on this host (/opt/manager), which the labs' managers share.
  /^test\/installer\/(bad-input|manager-external)\.test\.ts$/,
  // Failover and latency figures with tight bounds (ms), and a write timed to be in flight at a restart.
  /^test\/cli\/failover\.test\.ts$/,
  /^test\/worker\/store-retry\.test\.ts$/,
  /^test\/store\/server-failover\.test\.ts$/,
  /^test\/installer\/load-balancer\.test\.ts$/,
  /^test\/installer\/monitoring-prometheus\.test\.ts$/,
];

/** Light files at once when no lab runs beside them. */
const PARALLEL = 2;

/** Runs a command; with a `tag`, its output lines are prefixed with it (two lanes share the terminal). */
const exec = (cmd, args, tag) =>
  new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: tag ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (tag) {
      for (const [from, to] of [
        [child.stdout, process.stdout],
        [child.stderr, process.stderr],
      ]) {
        createInterface({ input: from }).on('line', (l) => to.write(`[${tag}] ${l}\n`));
      }
    }
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
const nodeTest = (concurrency, files, tag) =>
  exec(
    process.execPath,
    [
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
    ],
    tag,
  );

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
const rel = (f) => relative(process.cwd(), f).split('\\').join('/');
const of = (list) => (f) => list.some((re) => re.test(rel(f)));
const labs = files.filter(of(LABS));
const alone = files.filter(of(ALONE));
const timed = files.filter(of(TIMED));
const light = files.filter((f) => !labs.includes(f) && !alone.includes(f) && !timed.includes(f));
const withLabs = labs.length > 0 && process.getuid?.() === 0;
// Measured: the labs take ~23 min, the light files beside them ~20; so a third of the timed files (each
// 0.5-1 min, mostly waiting) follow the labs in their lane, the rest follow the light files.
const timedAfterLabs = withLabs ? timed.filter((_, i) => i % 3 === 2) : [];
const timedAfterLight = timed.filter((f) => !timedAfterLabs.includes(f));

async function timedFiles(list, tag) {
  if (!list.length) return 0;
  console.log(`${tag ? `[${tag}] ` : ''}# ${list.length} test files with timed recoveries, one at a time`);
  return nodeTest(1, list, tag);
}

/** The light files (two at a time, or one beside the labs), then timed files one at a time. */
async function rest(tag) {
  let code = 0;
  const parallel = withLabs ? 1 : PARALLEL;
  if (light.length) {
    console.log(`${tag ? `[${tag}] ` : ''}# ${light.length} test files, ${parallel} at a time`);
    code = (await nodeTest(parallel, light, tag)) || code;
  }
  return (await timedFiles(timedAfterLight, tag)) || code;
}

async function labSuites() {
  if (!labs.length) return 0;
  console.log(`[labs] # ${labs.length} lab and cluster test files, one at a time, beside the others`);
  const code = await nodeTest(1, labs, 'labs');
  return (await timedFiles(timedAfterLabs, 'labs')) || code;
}

// Every group runs even when another fails, so one run reports every failure.
const codes = await Promise.all([labSuites(), rest(labs.length ? 'rest' : undefined)]);
let status = codes.find((c) => c !== 0) ?? 0;
if (alone.length) {
  console.log(`# ${alone.length} test files that run with nothing beside them, one at a time`);
  status = (await nodeTest(1, alone)) || status;
}
process.exit(status);
