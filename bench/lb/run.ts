// How fast a dead manager leaves the load balancer's pool: three real `cfy_manager serve` managers
// (TLS front, 127.0.0.2-4) behind the real haproxy rendered by the installer; a client loops
// GET /api/v3.1/status through the LB while the manager it sticks to is SIGKILLed or SIGSTOPped; the longest stretch
// without an answer is recorded, for the guide's health-check timings and for tuned ones.
// Run: npm run bench:lb [-- rounds]   (root; haproxy installed)
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadBalancerConfig } from '../../src/installer/components/load-balancer/render.js';
import { serverStats, stickTable } from '../../src/installer/components/load-balancer/runtime.js';
import { freePort } from '../../test/helpers/postgres.js';
import {
  type Backend,
  type BackendPorts,
  get,
  lbConfig,
  MANAGER_IPS,
  makeLbCerts,
  measureGap,
  startBackend,
  startLb,
  stopProc,
  testLayout,
} from '../../test/installer/lb-helpers.js';

interface Variant {
  label: string;
  hc: LoadBalancerConfig['health_check'];
  tweak?: (cfg: string) => string;
}
/** The guide's example as written: no redispatch, `timeout check 5s`. */
const asInGuide = (cfg: string) =>
  connect4s(cfg).replace('    option redispatch 1\n', '').replace('timeout check 2s', 'timeout check 5s');
const connect4s = (cfg: string) => cfg.replace('timeout connect 2s', 'timeout connect 4s');
const observe = (cfg: string) =>
  cfg.replace(
    /on-marked-down shutdown-sessions/g,
    'on-marked-down shutdown-sessions observe layer4 error-limit 1 on-error mark-down',
  );
const ALL: Variant[] = [
  {
    label: 'guide (inter 3s fall 3 rise 2, no redispatch, check 5s)',
    hc: { interval_ms: 3000, fall: 3, rise: 2 },
    tweak: asInGuide,
  },
  {
    label: 'inter 3s fall 3 rise 2 + redispatch, check 2s',
    hc: { interval_ms: 3000, fall: 3, rise: 2 },
    tweak: connect4s,
  },
  {
    label: 'inter 1s fall 2 rise 2 + redispatch, check 2s',
    hc: { interval_ms: 1000, fall: 2, rise: 2 },
    tweak: connect4s,
  },
  {
    label: 'inter 1s fall 2 rise 2 + redispatch, check 2s, connect 2s',
    hc: { interval_ms: 1000, fall: 2, rise: 2 },
  },
  {
    label: 'inter 1s fall 2 rise 2 + redispatch, check 2s, connect 2s, observe layer4 mark-down',
    hc: { interval_ms: 1000, fall: 2, rise: 2 },
    tweak: observe,
  },
];
/** `npm run bench:lb -- <rounds> <variant numbers, 1-based, comma-separated>` */
const VARIANTS = process.argv[3] ? process.argv[3].split(',').map((n) => ALL[Number(n) - 1]!) : ALL;
/** SIGKILL: the manager process dies (its port refuses at once); SIGSTOP: it hangs (a frozen host). */
const MODES = ['SIGKILL', 'SIGSTOP'] as const;
/** The floor: the same loop through the LB with nothing killed (first variant's settings, once). */
type Mode = (typeof MODES)[number] | 'none';

const rounds = Number(process.argv[2] ?? 2);
const work = mkdtempSync(join(tmpdir(), 'stratus-bench-lb-'));
const backends: (Backend | undefined)[] = [];
const rows: string[] = [];

async function main(): Promise<void> {
  const certs = await makeLbCerts(join(work, 'certs'));
  const ca = readFileSync(certs.ca);
  const ports: BackendPorts = { https: await freePort(), agents: await freePort(), http: await freePort() };
  const names = MANAGER_IPS.map((_, i) => `manager${i + 1}`);
  const start = (i: number) => startBackend(names[i]!, MANAGER_IPS[i]!, ports, certs, join(work, `data${i}`));
  for (let i = 0; i < 3; i++) backends[i] = await start(i);
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const plan: [Variant, Mode, number][] = [[VARIANTS[0]!, 'none', 0]];
  for (const v of VARIANTS)
    for (const mode of MODES) for (let r = 0; r < rounds; r++) plan.push([v, mode, r]);
  for (const [v, mode, r] of plan) {
    const dir = mkdtempSync(join(work, 'lb-'));
    const lb = lbConfig(dir, certs, Object.fromEntries(names.map((n, i) => [n, MANAGER_IPS[i]!])), v.hc);
    const layout = await testLayout(dir, ports);
    const h = await startLb(dir, lb, layout, v.tweak);
    try {
      await new Promise((res) => setTimeout(res, v.hc.interval_ms * v.hc.rise + 500));
      await get(layout.ports.https, '/api/v3.1/status', ca);
      const sid = [...(await stickTable(layout.statsSocket, 'managers')).values()][0];
      const stats = await serverStats(layout.statsSocket);
      const victim = stats.find((s) => s.backend === 'managers' && s.id === sid)!.server;
      const idx = names.indexOf(victim);
      const t0 = Date.now();
      let downAt = 0;
      const poll = setInterval(async () => {
        const s = await serverStats(layout.statsSocket).catch(() => []);
        if (!downAt && s.some((x) => x.server === victim && x.backend === 'managers' && x.status === 'DOWN'))
          downAt = Date.now() - t0 - 1000;
      }, 50);
      const gap = await measureGap(
        layout.ports.https,
        ca,
        () => mode !== 'none' && backends[idx]!.proc.kill(mode),
        1000,
        20_000,
      );
      clearInterval(poll);
      const load = loadavg()
        .map((x) => x.toFixed(2))
        .join(' ');
      const row = `| ${v.label} | ${mode} | ${r + 1} | ${gap.longestGapMs} | ${gap.failures}/${gap.requests} | ${mode === 'none' ? '-' : downAt} | ${load} |`;
      console.log(row);
      rows.push(row);
      if (mode !== 'none') {
        backends[idx]!.proc.kill('SIGKILL');
        await stopProc(backends[idx]!.proc);
        backends[idx] = await start(idx);
      }
    } finally {
      await stopProc(h.proc);
    }
  }
}

/** This benchmark's section of docs/benchmarks.md, between the lb markers. */
function writeSection(): void {
  const section = [
    '<!-- lb:start -->',
    '## Load balancer: how fast a dead manager leaves the pool (`npm run bench:lb`)',
    '',
    'Three `cfy_manager serve` managers with the TLS front on 127.0.0.2-4 behind the HAProxy 2.6 that the',
    'installer renders; a client loops `GET /api/v3.1/status` (a new connection each time) through the LB',
    'while the manager it sticks to is SIGKILLed (dies) or SIGSTOPped (hangs). Longest gap between two',
    'answers and when HAProxy marked the manager DOWN, in ms after the signal; the chosen settings are',
    'decision 21. The floor is the first row: the same loop with nothing killed (signal `none`).',
    '',
    '| health-check settings | signal | round | longest gap (ms) | failed / requests | marked DOWN (ms) | load average |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '<!-- lb:end -->',
  ].join('\n');
  const doc = join(import.meta.dirname, '../../docs/benchmarks.md');
  const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const re = /<!-- lb:start -->[\s\S]*<!-- lb:end -->/;
  writeFileSync(doc, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
}

main()
  .then(writeSection)
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const b of backends) await stopProc(b?.proc);
    rmSync(work, { recursive: true, force: true });
  });
