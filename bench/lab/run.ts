// Measures `lab up` and `lab down` of the guide's 10-node topology and records them in docs/benchmarks.md.
// Runs on its own temp state dir, bridge and subnet, so it never touches a user's lab. Needs root.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../src/lab/lab.js';

const RUNS = Number(process.env.BENCH_LAB_RUNS ?? 5);
const TARGET_MS = 5_000;

if (process.getuid?.() !== 0) {
  console.error('bench:lab needs root (it creates namespaces and a bridge)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'stratus-lab-bench-'));
const lab = new Lab(
  { stateDir: join(dir, 'state'), subnet: '10.179.0.0/24', bridge: 'stbench' },
  console.error,
);
const ups: number[] = [];
const downs: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await lab.up('best-practice');
    ups.push(performance.now() - t);
    const running = (await lab.status()).filter((s) => s.state === 'running').length;
    if (running !== 10) throw new Error(`only ${running} of 10 nodes running after up`);
    t = performance.now();
    await lab.down();
    downs.push(performance.now() - t);
  }
} finally {
  await lab.down().catch((err) => console.error(err));
  rmSync(dir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const row = (what: string, xs: number[]) =>
  `| ${what} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} | ≤ ${fmt(TARGET_MS)} | ${Math.max(...xs) <= TARGET_MS ? 'met' : 'missed'} |`;
const section = [
  '## Lab',
  '',
  `\`npm run bench:lab\`: ${RUNS} cycles of \`lab up\` / \`lab down\` of the 10-node best-practice topology`,
  `(10 netns + veths on one bridge, UTS/mount/PID namespaces, a supervisord per node), on ${cpus().length} cores,`,
  `${new Date().toISOString().slice(0, 10)}. \`up\` counts until every node's supervisord answers on its socket.`,
  '',
  '| step | median | min | max | target | |',
  '|---|---|---|---|---|---|',
  row('lab up (10 nodes)', ups),
  row('lab down (10 nodes)', downs),
].join('\n');
console.log(section);

const file = join(import.meta.dirname, '../../docs/benchmarks.md');
const block = `<!-- lab:start -->\n${section}\n<!-- lab:end -->`;
const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const next = /<!-- lab:start -->[\s\S]*<!-- lab:end -->/.test(old)
  ? old.replace(/<!-- lab:start -->[\s\S]*<!-- lab:end -->/, block)
  : `${old.trimEnd()}\n\n${block}\n`;
writeFileSync(file, next);
console.log(`written to ${file}`);
