// What our own metrics cost the REST service: two managers (`cfy_manager serve`, embedded default) run
// side by side, one with --metrics-port (the request histogram on every answer, Prometheus-style
// scrapes every 5 s) and one without; each route is measured on both in alternating rounds, so both
// see the same machine. Reports req/s, p50/p99 and the manager's CPU time per request, and rewrites
// the `metrics` section of docs/benchmarks.md. Traffic stays on 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { httpMetrics } from '../../src/manager/metrics.js';
import { freePort } from '../../test/helpers/postgres.js';
import { commitOf } from '../commit.js';

const SECONDS = Number(process.env.BENCH_METRICS_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_METRICS_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_METRICS_CONNECTIONS ?? 20);
const WARMUP_MS = 1_000;
const ADMIN_PASSWORD = 'bench-admin-pw';
const ROOT = join(import.meta.dirname, '../..');
const HOST = '127.0.0.1';
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

const log = (msg: string) => process.stderr.write(`[bench:metrics] ${msg}\n`);

interface Manager {
  name: string;
  child: ChildProcess;
  port: number;
  metricsPort?: number;
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerReq: number;
  errors: number;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

function get(agent: Agent, port: number, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: HOST, port, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(name: string, dir: string, withMetrics: boolean): Promise<Manager> {
  const port = await freePort();
  const metricsPort = withMetrics ? await freePort() : undefined;
  const args = [
    'serve',
    '--port',
    String(port),
    '--data-dir',
    join(dir, name),
    '--admin-password',
    ADMIN_PASSWORD,
  ];
  if (metricsPort) args.push('--metrics-port', String(metricsPort));
  const out = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(join(ROOT, 'bin/cfy_manager'), args, {
    cwd: ROOT,
    env: { ...process.env, STRATUS_DB_URL: '', STRATUS_AMQP_URL: '', STRATUS_METRICS_PORT: '' },
    stdio: ['ignore', out, out],
  });
  const agent = new Agent();
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    const ok = await get(agent, port, '/api/v3.1/ok', {}).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name, child, port, ...(metricsPort ? { metricsPort } : {}) };
}

/** `CONNECTIONS` keep-alive loops on `path` for `ms`; while it runs, the metrics are scraped every 5 s. */
async function round(m: Manager, path: string, headers: Record<string, string>, ms: number): Promise<Round> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const scrapes = m.metricsPort
    ? setInterval(() => void get(new Agent(), m.metricsPort!, '/metrics', {}).catch(() => errors++), 5_000)
    : undefined;
  const cpu0 = cpuMs(m.child.pid!);
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const r = await get(agent, m.port, path, headers).catch(() => ({ status: 0, body: '' }));
        if (r.status === 200) latencies.push(performance.now() - t);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(m.child.pid!) - cpu0;
  clearInterval(scrapes);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    rps: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
    cpuMsPerReq: cpu / Math.max(1, latencies.length),
    errors,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 12_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function machine(): string {
  const model =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${model}, node ${process.version}`;
}

function writeSection(section: string): void {
  const file = join(ROOT, 'docs/benchmarks.md');
  const block = `<!-- metrics:start -->\n${section}\n<!-- metrics:end -->`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- metrics:start -->[\s\S]*<!-- metrics:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, block) : `${old.trimEnd()}\n\n${block}\n`);
  log(`written to ${file}`);
}

/** The hook's own work per request, in this process: ns per observation over 40 label sets. */
function observeNs(): number {
  const metrics = httpMetrics(new Registry());
  const routes = Array.from({ length: 20 }, (_, i) => `/api/v3.1/resource-${i}/:id`);
  const n = 1_000_000;
  for (let i = 0; i < 100_000; i++) metrics.observe('GET', routes[i % 20]!, i % 2 ? 200 : 404, 0.003);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) metrics.observe('GET', routes[i % 20]!, i % 2 ? 200 : 404, 0.003);
  return Number(process.hrtime.bigint() - t0) / n;
}

const ROUTES = [
  { label: 'GET /api/v3.1/ok (open, no database)', path: '/api/v3.1/ok' },
  { label: 'GET /api/v3.1/version (API token)', path: '/api/v3.1/version' },
];

const dir = mkdtempSync(join(tmpdir(), 'stratus-metrics-bench-'));
const managers: Manager[] = [];
const loads: number[] = [loadavg()[0]!];
try {
  log('starting two managers (embedded default), one with --metrics-port');
  managers.push(await start('without', dir, false), await start('with', dir, true));
  const headers: Record<string, string>[] = [];
  for (const m of managers) {
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const tok = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: HOST,
          port: m.port,
          path: '/api/v3.1/tokens',
          method: 'POST',
          headers: { authorization: basic },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()).value));
        },
      );
      req.on('error', reject);
      req.end();
    });
    headers.push({ 'authentication-token': tok, tenant: 'default_tenant' });
  }
  const ns = observeNs();
  log(`one observation: ${ns.toFixed(0)} ns`);
  const rows: string[] = [];
  let cheapest = Number.POSITIVE_INFINITY;
  for (const route of ROUTES) {
    const results: Round[][] = [[], []];
    for (const [i, m] of managers.entries()) await round(m, route.path, headers[i]!, WARMUP_MS);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which one goes first, so a trend in the machine's load favours neither.
      const order = r % 2 ? [1, 0] : [0, 1];
      for (const i of order) {
        log(`${route.path} ${managers[i]!.name} metrics, round ${r + 1}/${ROUNDS}`);
        results[i]!.push(await round(managers[i]!, route.path, headers[i]!, SECONDS * 1000));
      }
      loads.push(loadavg()[0]!);
    }
    const [without, withM] = results.map((rs) => ({
      rps: median(rs.map((x) => x.rps)),
      p50: median(rs.map((x) => x.p50)),
      p99: median(rs.map((x) => x.p99)),
      cpu: median(rs.map((x) => x.cpuMsPerReq)),
      errors: rs.reduce((a, x) => a + x.errors, 0),
      range: `${Math.min(...rs.map((x) => x.rps)).toFixed(0)}–${Math.max(...rs.map((x) => x.rps)).toFixed(0)}`,
    }));
    const fmt = (name: string, x: typeof without) =>
      `| ${route.label} | ${name} | ${x!.rps.toFixed(0)} (${x!.range}) | ${x!.p50.toFixed(1)} ms | ${x!.p99.toFixed(1)} ms | ${(x!.cpu * 1000).toFixed(0)} µs | ${x!.errors} |`;
    rows.push(fmt('without', without), fmt('with', withM));
    cheapest = Math.min(cheapest, without!.cpu);
    rows.push(
      `| ${route.label} | **with / without** | **${((100 * withM!.rps) / without!.rps).toFixed(1)}%** | | | **${((100 * withM!.cpu) / without!.cpu).toFixed(1)}%** | |`,
    );
  }
  const section = [
    '## Our own metrics',
    '',
    `\`npm run bench:metrics\` on ${new Date().toISOString().slice(0, 10)}, commit ${commitOf(ROOT)}. Machine: ${machine()}.`,
    'Two managers (`cfy_manager serve`, embedded default) run side by side, one with `--metrics-port` (the',
    'request histogram observed on every answer, and its `/metrics` scraped every 5 s during the rounds) and',
    `one without; each route is measured on both in ${ROUNDS} alternating rounds of ${SECONDS} s (after a ${WARMUP_MS / 1000} s warm-up),`,
    `${CONNECTIONS} keep-alive connections from node:http in the bench process; figures are medians of the rounds.`,
    '"CPU/req" is the manager process\'s CPU time per answered request (/proc, 10 ms ticks).',
    `1-minute load average: ${loads.map((l) => l.toFixed(2)).join(' → ')} (before the run, after each round pair); other work on the machine counts.`,
    '',
    '| route | metrics | req/s (min–max) | p50 | p99 | CPU/req | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `The hook's own work, timed in the bench process: ${ns.toFixed(0)} ns per request (one histogram observation,`,
    `1,000,000 of them over 40 label sets), against ${(cheapest * 1000).toFixed(0)} µs of CPU for the cheapest request above (${((100 * ns) / (cheapest * 1e6)).toFixed(2)}%).`,
  ].join('\n');
  console.log(section);
  writeSection(section);
} finally {
  for (const m of managers) await stop(m.child);
  if (process.env.BENCH_METRICS_KEEP) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
