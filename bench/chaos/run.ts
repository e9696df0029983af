// The chaos cases (test/lab/chaos.ts) in rounds on one installed guide cluster: in each round, during a
// 20-instance install, the manager running it, the DB leader, the broker in use and the load balancer are
// killed, and the DB leader is cut off the network and healed, one case at a time. A case passes when the
// install terminated with every instance started, each operation run and succeeded once, and every event
// of a fault-free install present. Records passes and recovery times in docs/benchmarks.md between the
// chaos markers. Needs root.
// Run: npm run bench:chaos   (BENCH_CHAOS_ROUNDS, default 10)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { LAB_ADMIN_PASSWORD } from '../../src/lab/guide-config.js';
import { installSequence } from '../../src/lab/install.js';
import { fsRoot } from '../../src/lab/nodes.js';
import { startTestLab } from '../../src/lab/testing.js';
import { BUILTIN } from '../../src/lab/topology.js';
import {
  type Cluster,
  chaosCase,
  type Expected,
  expectedEvents,
  FAULTS,
  type Fault,
} from '../../test/lab/chaos.js';
import { cfyWithPassword, loadAverage } from '../../test/lab/cluster-helpers.js';

const ROUNDS = Number(process.env.BENCH_CHAOS_ROUNDS ?? 10);
const log = (l: string) => process.stderr.write(`[bench:chaos] ${l}\n`);
const sec = (ms?: number) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));

if (process.getuid?.() !== 0) {
  console.error('bench/chaos needs root (it uses the lab)');
  process.exit(1);
}

interface Row {
  round: number;
  fault: Fault;
  victim: string;
  ok: boolean;
  recoveryMs?: number;
  endMs?: number;
  restoredMs?: number;
  error?: string;
  load: string;
}

const rows: Row[] = [];
let installMs = 0;
const t = await startTestLab(BUILTIN['best-practice']!);
try {
  const t0 = performance.now();
  const code = await installSequence(t.lab, log);
  installMs = performance.now() - t0;
  if (code !== 0) throw new Error('lab install failed');
  const caPath = join(fsRoot(t.lab.stateDir, 'lb'), 'root/.cloudify-test-ca/ca.crt');
  const ip = (n: string) => t.lab.node(n).node.ip;
  const profile = (host: string) => {
    const cfy = cfyWithPassword(LAB_ADMIN_PASSWORD);
    const args = ['profiles', 'use', ip(host), '-u', 'admin', '-t', 'default_tenant', '--ssl', '-c', caPath];
    return cfy(args).then((r) => {
      if (r.code !== 0) throw new Error(`cfy profiles use ${host}: ${r.stderr}`);
      return cfy;
    });
  };
  const c: Cluster = {
    lab: t.lab,
    ip,
    ca: readFileSync(caPath),
    auth: `admin:${LAB_ADMIN_PASSWORD}`,
    viaLb: await profile('lb'),
    direct: await profile('manager1'),
  };
  const expected: Expected = await expectedEvents(c.viaLb, 'ref');
  for (let round = 1; round <= ROUNDS; round++) {
    for (const fault of FAULTS) {
      const dep = `r${round}-${fault}`;
      try {
        const o = await chaosCase(c, fault, dep, expected);
        rows.push({ round, ok: true, ...o, load: loadAverage() });
      } catch (err) {
        const error = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
        rows.push({ round, fault, victim: '?', ok: false, error, load: loadAverage() });
      }
      const r = rows.at(-1)!;
      log(
        `round ${round} ${fault} (${r.victim}): ${r.ok ? 'passed' : `FAILED: ${r.error}`}; recovery ${sec(r.recoveryMs)} s, end ${sec(r.endMs)} s, restored ${sec(r.restoredMs)} s (load ${r.load})`,
      );
    }
  }
  c.viaLb.cleanup();
  c.direct.cleanup();
} finally {
  await t.down();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: (number | undefined)[]) => {
  const v = xs.filter((x): x is number => x !== undefined);
  return v.length ? `${sec(median(v))} (${sec(Math.min(...v))}–${sec(Math.max(...v))})` : '-';
};
const RECOVERY: Record<Fault, string> = {
  manager: 'kill → the next operation, on another manager',
  'db-leader': 'kill → the first write through the LB',
  broker: 'kill → the next operation',
  lb: 'lab start → the LB answering (down 5 s)',
  'db-partition': 'cut → the first write through the LB',
};
const section = [
  '<!-- chaos:start -->',
  '## Chaos: one fault during a 20-instance install (`npm run bench:chaos`)',
  '',
  `The guide's cluster in the lab (${cpus().length} cores), installed in ${sec(installMs)} s, then ${ROUNDS} rounds of the five`,
  'cases of `test/lab/chaos.ts`, each during an install of 20 instances (3 operations each, `sleep 3`).',
  'A case passes when the install terminated, every instance is `started`, each operation had one',
  '`task_succeeded` and ran once (or twice when its first run ended in the 5 s before its manager was',
  'killed), and every event of a fault-free install of the same blueprint is there. Seconds:',
  'median (min–max); "end" is fault → the install terminated; "restored" is `lab start` or `heal` → the',
  'node serving again (the DB cluster settled with a sync standby; the brokers OK in cluster-status).',
  '',
  '| case | passed | recovery | recovery (s) | end (s) | restored (s) | load average (last round) |',
  '|---|---|---|---|---|---|---|',
  ...FAULTS.map((f) => {
    const rs = rows.filter((r) => r.fault === f);
    return `| ${f} | ${rs.filter((r) => r.ok).length}/${rs.length} | ${RECOVERY[f]} | ${spread(rs.map((r) => r.recoveryMs))} | ${spread(rs.map((r) => r.endMs))} | ${spread(rs.map((r) => r.restoredMs))} | ${rs.at(-1)?.load ?? '-'} |`;
  }),
  ...rows.filter((r) => !r.ok).map((r) => `\nRound ${r.round}, ${r.fault}: failed: ${r.error}`),
  '<!-- chaos:end -->',
].join('\n');
const doc = join(import.meta.dirname, '../../docs/benchmarks.md');
const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
const re = /<!-- chaos:start -->[\s\S]*<!-- chaos:end -->/;
writeFileSync(doc, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
log('docs/benchmarks.md updated');
process.exit(rows.every((r) => r.ok) ? 0 : 1);
