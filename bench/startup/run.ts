// How long the commands take to start (`npm run bench:startup`): `cfy --help` and `cfy_manager --help`
// from the build, the same through tsx (STRATUS_FROM_SOURCE=1), and the floor, a bare `node -e 0`,
// all in one run, interleaved, 15 rounds each; medians and the ratio to the floor. Writes the `startup`
// section of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitOf } from '../commit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 15;

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

const node = process.execPath;
const cases: Case[] = [
  { name: 'floor: `node -e 0`', args: ['-e', '0'] },
  { name: '`cfy --help` (build)', args: [join(ROOT, 'bin/cfy'), '--help'] },
  { name: '`cfy_manager --help` (build)', args: [join(ROOT, 'bin/cfy_manager'), '--help'] },
  { name: '`cfy --help` (tsx)', args: [join(ROOT, 'bin/cfy'), '--help'], env: { STRATUS_FROM_SOURCE: '1' } },
  {
    name: '`cfy_manager --help` (tsx)',
    args: [join(ROOT, 'bin/cfy_manager'), '--help'],
    env: { STRATUS_FROM_SOURCE: '1' },
  },
];

if (!existsSync(join(ROOT, 'dist/entry/cfy.js'))) {
  console.error('no build in dist/: run `npm run build` first');
  process.exit(1);
}

const once = (c: Case): number => {
  const t0 = performance.now();
  const r = spawnSync(node, c.args, { env: { ...process.env, ...c.env }, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${c.name} exited ${r.status}`);
  return performance.now() - t0;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const load0 = loadavg()[0]!;
for (const c of cases) once(c); // warm the file cache and tsx's cache
const times = new Map(cases.map((c) => [c.name, [] as number[]]));
for (let i = 0; i < ROUNDS; i++) for (const c of cases) times.get(c.name)!.push(once(c));
const load1 = loadavg()[0]!;

const floor = median(times.get(cases[0]!.name)!);
const rows = cases.map((c) => {
  const m = median(times.get(c.name)!);
  return `| ${c.name} | ${m.toFixed(0)} ms | ${(m / floor).toFixed(1)}× |`;
});
const section = [
  '<!-- startup:start -->',
  '## Start-up of the commands (`npm run bench:startup`)',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)}, commit ${commitOf(ROOT)}, node ${process.version}, ` +
    `2 cores, 1-minute load average ${load0.toFixed(2)} before and ${load1.toFixed(2)} after. Median of ` +
    `${ROUNDS} runs each, interleaved; the floor is a bare node start in the same run.`,
  '',
  '| command | median | ratio to the floor |',
  '|---|---|---|',
  ...rows,
  '<!-- startup:end -->',
].join('\n');
console.log(section);

const file = join(ROOT, 'docs/benchmarks.md');
const current = readFileSync(file, 'utf8');
const re = /<!-- startup:start -->[\s\S]*<!-- startup:end -->/;
writeFileSync(file, re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}\n`);
