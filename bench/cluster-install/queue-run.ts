// Times installing 3 brokers in the lab from nothing (certs, the guide's config.yaml, `cfy_manager install`
// on each node in turn) and records it in docs/benchmarks.md between the cluster-install-queue markers.
// Run: node --import tsx bench/cluster-install/queue-run.ts (root). BENCH_QUEUE_RUNS=n (default 3).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { installCluster, makeCerts, QUEUE_NODES, startQueueLab, writeConfigs } from './queue-lab.js';

const RUNS = Number(process.env.BENCH_QUEUE_RUNS ?? 3);
if (process.getuid?.() !== 0) {
  console.error('the queue install bench needs root (lab namespaces, rabbitmq user)');
  process.exit(1);
}

interface Run {
  total: number;
  perNode: number[];
  listOk: boolean;
}
const runs: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  const q = await startQueueLab();
  try {
    const t0 = performance.now();
    await makeCerts(q);
    writeConfigs(q);
    const perNode = await installCluster(q);
    const total = performance.now() - t0;
    const list = await q.cfy('queue1', ['brokers', 'list']);
    const listOk = list.code === 0 && (list.stdout.match(/\| {3}True {2}\|/g) ?? []).length === 3;
    runs.push({ total, perNode, listOk });
    console.error(
      `run ${i + 1}: ${(total / 1000).toFixed(1)} s (${perNode.map((t) => (t / 1000).toFixed(1)).join(', ')})`,
    );
  } finally {
    await q.t.down();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (what: string, xs: number[]) =>
  `| ${what} | ${s(median(xs))} | ${s(Math.min(...xs))} | ${s(Math.max(...xs))} |`;
const section = [
  '## Cluster install: brokers',
  '',
  `\`node --import tsx bench/cluster-install/queue-run.ts\`: ${RUNS} runs, each on a fresh 3-node lab, on ${cpus().length} cores,`,
  `${new Date().toISOString().slice(0, 10)}. From nothing: \`generate-test-cert\` for the 3 nodes, the guide's queue config.yaml`,
  'on each, then `cfy_manager install` on queue1, queue2, queue3 in turn (the guide installs brokers sequentially; the',
  'Debian packages were already on the host). A run counts only if `brokers list` then shows 3 running brokers',
  `(${runs.filter((r) => r.listOk).length}/${RUNS} did).`,
  '',
  '| step | median | min | max |',
  '|---|---|---|---|',
  row(
    '3 brokers, certs to `brokers list` ok',
    runs.map((r) => r.total),
  ),
  ...QUEUE_NODES.map((n, i) =>
    row(
      `install ${n}${i === 0 ? ' (first broker)' : ' (joins)'}`,
      runs.map((r) => r.perNode[i]!),
    ),
  ),
].join('\n');
console.log(section);

const file = join(import.meta.dirname, '../../docs/benchmarks.md');
const START = '<!-- cluster-install-queue:start -->';
const END = '<!-- cluster-install-queue:end -->';
const block = `${START}\n${section}\n${END}`;
const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const re = /<!-- cluster-install-queue:start -->[\s\S]*<!-- cluster-install-queue:end -->/;
writeFileSync(file, re.test(old) ? old.replace(re, block) : `${old.trimEnd()}\n\n${block}\n`);
console.log(`written to ${file}`);
