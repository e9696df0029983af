// Times the guide's DB cluster in the lab: installing 3 DB nodes from nothing (certificates, config.yaml,
// `cfy_manager install` in order) and crash failover (lab kill of the leader) over several runs, then
// records them in docs/benchmarks.md between the cluster-install markers. Needs root.
// Run: node --import tsx bench/cluster-install/run.ts   (BENCH_FAILOVER_RUNS, default 5)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startTestLab } from '../../src/lab/testing.js';
import { within } from '../../src/lab/within.js';
import { dbsList, labInstall, leaderOf, nodeIp } from '../../test/installer/lab-helpers.js';

const RUNS = Number(process.env.BENCH_FAILOVER_RUNS ?? 5);
const NODES = ['db1', 'db2', 'db3'];

if (process.getuid?.() !== 0) {
  console.error('bench/cluster-install needs root (it uses the lab)');
  process.exit(1);
}

const sec = (ms: number) => (ms / 1000).toFixed(1);
let t = performance.now();
const lab = await startTestLab({
  name: 'bench-db',
  nodes: NODES.map((name) => ({ name, roles: ['database' as const] })),
});
const labUp = performance.now() - t;
const steps: { what: string; ms: number }[] = [];
const failovers: { killed: string; leaderMs: number; degradedMs: number; rejoinMs: number }[] = [];
let installMs = 0;
try {
  t = performance.now();
  let last = t;
  const code = await labInstall(lab.lab, (line) => {
    const now = performance.now();
    steps.push({ what: line.replace(/^\[\d+\/\d+\] /, '').replace(/: done$/, ''), ms: now - last });
    last = now;
    console.error(`${line} (${sec(now - t)} s)`);
  });
  installMs = performance.now() - t;
  if (code !== 0) throw new Error('lab install failed');
  const ips = NODES.map((n) => nodeIp(lab.lab, n));
  const name = (ip: string) => NODES[ips.indexOf(ip)]!;
  await within(
    120_000,
    () => dbsList(lab.lab, 'db1'),
    (r) => r.code === 0,
    'healthy after install',
  );

  for (let i = 0; i < RUNS; i++) {
    const leader = (await leaderOf(lab.lab, 'db1', ips))!;
    const survivor = NODES.find((n) => n !== name(leader))!;
    const t0 = performance.now();
    await lab.lab.kill(name(leader));
    await within(
      60_000,
      () =>
        leaderOf(
          lab.lab,
          survivor,
          ips.filter((x) => x !== leader),
        ),
      Boolean,
      'new leader',
    );
    const leaderMs = performance.now() - t0;
    await within(
      60_000,
      () => dbsList(lab.lab, survivor),
      (r) => r.code === 1,
      'dbs list degraded',
    );
    const degradedMs = performance.now() - t0;
    const t1 = performance.now();
    await lab.lab.start(name(leader));
    await within(
      120_000,
      () => dbsList(lab.lab, survivor),
      (r) => r.code === 0 && r.rows.some((x) => x.node_ip === leader && x.alive === 'True'),
      'old leader back',
    );
    failovers.push({ killed: name(leader), leaderMs, degradedMs, rejoinMs: performance.now() - t1 });
    console.error(
      `failover ${i + 1}: ${name(leader)} killed, new leader after ${sec(leaderMs)} s, rejoined after ${sec(performance.now() - t1)} s`,
    );
  }
} finally {
  await lab.down();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stat = (xs: number[]) => `${sec(median(xs))} s | ${sec(Math.min(...xs))} s | ${sec(Math.max(...xs))} s`;
const certMs = steps.filter((s) => /generate a test certificate/.test(s.what)).reduce((a, s) => a + s.ms, 0);
const installs = steps.filter((s) => /cfy_manager install/.test(s.what));
const section = [
  '## Cluster install',
  '',
  `\`node --import tsx bench/cluster-install/run.ts\`: the guide's PostgreSQL cluster (3 DB nodes, Patroni 3.0 + etcd 3.4 +`,
  `PostgreSQL 15, TLS everywhere) in a 3-node lab, on ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}. Debian packages were`,
  'already installed (apt-get is skipped when present; a cold install adds ~30 s, see the recipes).',
  '',
  '| step | time |',
  '|---|---|',
  `| lab up (3 nodes) | ${sec(labUp)} s |`,
  `| generate-test-cert × 3 (RSA 4096, on db1) | ${sec(certMs)} s |`,
  ...installs.map(
    (s) => `| ${s.what.replace(/ cfy_manager install/, '')} \`cfy_manager install\` | ${sec(s.ms)} s |`,
  ),
  `| **3 DB nodes from nothing** (certificates, config.yaml, 3 installs) | **${sec(installMs)} s** |`,
  '',
  `Crash failover, ${RUNS} runs: \`lab kill\` of the leader's node (its Patroni, PostgreSQL and etcd member die together),`,
  'ttl 10 / loop_wait 2 / retry_timeout 4. "New leader" is when a survivor runs as primary (Patroni REST, polled);',
  '"dbs list exit 1" is when `dbs list` on a survivor reports the degraded cluster; "rejoin" is from `lab start` until the',
  'old leader is a running replica again (pg_rewind).',
  '',
  '| measure | median | min | max |',
  '|---|---|---|---|',
  `| kill → new leader | ${stat(failovers.map((f) => f.leaderMs))} |`,
  `| kill → dbs list exit 1 | ${stat(failovers.map((f) => f.degradedMs))} |`,
  `| lab start → rejoined as replica | ${stat(failovers.map((f) => f.rejoinMs))} |`,
  '',
  `Runs (new leader): ${failovers.map((f) => `${sec(f.leaderMs)} s (${f.killed})`).join(', ')}. Target ≤ 20 s: ${failovers.every((f) => f.leaderMs <= 20_000) ? 'met' : 'missed'}.`,
].join('\n');
console.log(section);

const file = join(import.meta.dirname, '../../docs/benchmarks.md');
const block = `<!-- cluster-install:start -->\n${section}\n<!-- cluster-install:end -->`;
const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
const next = /<!-- cluster-install:start -->[\s\S]*<!-- cluster-install:end -->/.test(old)
  ? old.replace(/<!-- cluster-install:start -->[\s\S]*<!-- cluster-install:end -->/, block)
  : `${old.trimEnd()}\n\n${block}\n`;
writeFileSync(file, next);
