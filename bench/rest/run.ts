// REST benchmark: a throwaway PostgreSQL 15, the manager as a real child process
// on it, 10,000 deployments seeded straight into the database, then 50 keep-alive connections for 20 s
// each on authenticated GET /deployments?_size=100&_offset=<random> and GET /status, and on a bare
// Fastify route in a separate process as the ceiling. Reports req/s, p50, p99 and the manager's RSS
// idle and under load, and rewrites the `rest` section of docs/benchmarks.md. Traffic stays on 127.0.0.1.
import { type ChildProcess, spawn } from 'node:child_process';
import { commitOf } from '../commit.js';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { freePort, startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';

const SECONDS = Number(process.env.BENCH_REST_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_REST_CONNECTIONS ?? 50);
const DEPLOYMENTS = 10_000;
const WARMUP_MS = 2_000;
const ADMIN_PASSWORD = 'bench-admin-pw';
const ROOT = join(import.meta.dirname, '../..');
const HOST = '127.0.0.1';

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  firstError?: string;
}

const log = (msg: string) => process.stderr.write(`[bench:rest] ${msg}\n`);

function rssOf(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function get(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, method: 'GET', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function post(port: number, path: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: HOST,
        port,
        path,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `connections` loops, each one request at a time on its own keep-alive socket, for `seconds`. */
async function load(
  name: string,
  port: number,
  path: () => string,
  headers: Record<string, string>,
  onTick?: () => void,
): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    let firstError: string | undefined;
    const end = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const r = await get(agent, port, path(), headers);
          if (r.status !== 200) {
            errors++;
            firstError ??= `${r.status} ${r.body.slice(0, 200)}`;
          } else if (record) latencies.push(performance.now() - t);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    };
    const tick = onTick ? setInterval(onTick, 250) : undefined;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const elapsed = (performance.now() - t0) / 1000;
    if (tick) clearInterval(tick);
    return { latencies, errors, elapsed, firstError };
  };
  log(`${name}: warm-up`);
  await run(WARMUP_MS, false);
  log(`${name}: ${CONNECTIONS} connections for ${SECONDS} s`);
  const r = await run(SECONDS * 1000, true);
  agent.destroy();
  const sorted = r.latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return {
    name,
    requests: sorted.length,
    errors: r.errors,
    rps: sorted.length / r.elapsed,
    p50: pct(50),
    p99: pct(99),
    firstError: r.firstError,
  };
}

async function waitFor(port: number, path: string, child: ChildProcess, what: string): Promise<void> {
  const agent = new Agent({ keepAlive: false });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    try {
      const r = await get(agent, port, path, {});
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not answer ${path} within 60 s`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 12_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const BARE = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.get('/bare', async () => ({ status: 'OK', services: {} }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BARE_PORT) });
`;

function machine(): string {
  const model =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const mem = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return `${cpus().length} × ${model}${mem ? `, ${Math.round(Number(mem) / 1024 / 1024)} GiB` : ''}, node ${process.version}`;
}

const dir = mkdtempSync(join(tmpdir(), 'stratus-rest-bench-'));
let pg: TestPostgres | undefined;
let manager: ChildProcess | undefined;
let bare: ChildProcess | undefined;
const loadBefore = loadavg()[0];
try {
  log('starting PostgreSQL 15');
  pg = await startPostgres();
  const port = await freePort();
  const logFd = openSync(join(dir, 'manager.log'), 'a');
  log(`starting the manager on ${HOST}:${port}`);
  manager = spawn(
    join(ROOT, 'bin/cfy_manager'),
    ['serve', '--host', HOST, '--port', String(port), '--admin-password', ADMIN_PASSWORD],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        STRATUS_DATA_DIR: join(dir, 'data'),
        STRATUS_DB_URL: pg.url,
        STRATUS_AMQP_URL: '',
      },
      stdio: ['ignore', logFd, logFd],
    },
  );
  await waitFor(port, '/api/v3.1/ok', manager, 'the manager');
  const pid = manager.pid!;

  log(`seeding ${DEPLOYMENTS} deployments`);
  const db = await openServer(parseDbUrl(pg.url));
  const t0 = performance.now();
  const [bp] = await db.query<{ sid: number }>(
    `INSERT INTO blueprints (id, _tenant_id, _creator_id, main_file_name, plan, state, description)
     VALUES ('bench-bp', 0, 0, 'blueprint.yaml', $1::text::jsonb, 'uploaded', 'bench') RETURNING _storage_id AS sid`,
    [JSON.stringify({ nodes: [], inputs: {}, outputs: {}, workflows: {} })],
  );
  await db.query(
    `INSERT INTO deployments (id, _tenant_id, _creator_id, _blueprint_fk, description, display_name, inputs,
       outputs, capabilities, workflows, installation_status, deployment_status)
     SELECT 'dep-' || lpad(g::text, 5, '0'), 0, 0, $1, 'bench deployment', 'dep-' || g,
       jsonb_build_object('index', g), '{}', '{}',
       '{"install": {"operation": "cloudify.plugins.workflows.install", "parameters": {}}}',
       'active', 'good'
     FROM generate_series(1, $2::int) g`,
    [bp.sid, DEPLOYMENTS],
  );
  await db.query('ANALYZE');
  const seedMs = performance.now() - t0;
  await db.close();
  log(`seeded in ${seedMs.toFixed(0)} ms`);

  const basicAuth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  const tok = await post(port, '/api/v3.1/tokens', { authorization: basicAuth }, '{"description":"bench"}');
  if (tok.status !== 200) throw new Error(`POST /tokens answered ${tok.status}: ${tok.body}`);
  const headers = { 'authentication-token': JSON.parse(tok.body).value as string, tenant: 'default_tenant' };
  const check = await get(new Agent(), port, '/api/v3.1/deployments?_size=100&_offset=9950', headers);
  if (check.status !== 200) throw new Error(`GET /deployments answered ${check.status}: ${check.body}`);
  const page = JSON.parse(check.body);
  if (page.metadata?.pagination?.total !== DEPLOYMENTS || page.items?.length !== 50) {
    throw new Error(`GET /deployments did not see the seeded rows: ${check.body.slice(0, 300)}`);
  }

  await new Promise((r) => setTimeout(r, 3_000));
  const idle = rssOf(pid);
  log(`manager idle RSS ${idle.rss.toFixed(0)} MB`);

  let peak = idle.rss;
  const sample = () => {
    peak = Math.max(peak, rssOf(pid).rss);
  };
  const list = await load(
    'GET /deployments?_size=100&_offset=<random>',
    port,
    () => `/api/v3.1/deployments?_size=100&_offset=${Math.floor(Math.random() * (DEPLOYMENTS - 100))}`,
    headers,
    sample,
  );
  const status = await load('GET /status', port, () => '/api/v3.1/status', headers, sample);
  const hwm = rssOf(pid).hwm;
  await stopChild(manager);

  const barePort = await freePort();
  log('starting the bare Fastify process');
  bare = spawn(process.execPath, ['--input-type=module', '-e', BARE], {
    cwd: ROOT,
    env: { ...process.env, BARE_PORT: String(barePort) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitFor(barePort, '/bare', bare, 'the bare Fastify process');
  const ceiling = await load('bare Fastify GET /bare', barePort, () => '/bare', {});
  await stopChild(bare);

  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const ratio = (r: Result) => `${((100 * r.rps) / ceiling.rps).toFixed(1)}%`;
  const row = (r: Result, share: boolean) =>
    `| ${r.name} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${share ? ratio(r) : '100%'} | ${r.errors} |`;
  const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
  const section = [
    '## REST',
    '',
    `\`npm run bench:rest\` on ${new Date().toISOString().slice(0, 10)}, commit ${commitOf(ROOT)}.`,
    `Machine: ${machine()}. The manager (\`cfy_manager serve\`, server driver), its PostgreSQL 15 and the`,
    'load generator (node:http keep-alive, one request at a time per connection) share these cores;',
    `the 1-minute load average was ${loadBefore.toFixed(1)} before the run and ${loadavg()[0].toFixed(1)} after it (other work on the machine counts).`,
    `${DEPLOYMENTS.toLocaleString('en')} deployments seeded by SQL in ${seedMs.toFixed(0)} ms; ${CONNECTIONS} connections, ${SECONDS} s per endpoint`,
    `after a ${WARMUP_MS / 1000} s warm-up; authenticated with an API token (\`Authentication-Token\`).`,
    '',
    '| endpoint | req/s | p50 | p99 | of bare | errors |',
    '|---|---|---|---|---|---|',
    row(list, true),
    row(status, true),
    row(ceiling, false),
    '',
    '| target | measured | |',
    '|---|---|---|',
    `| list p99 ≤ 50 ms | ${ms(list.p99)} | ${verdict(list.p99 <= 50)} |`,
    `| list ≥ 25% of bare throughput | ${ratio(list)} | ${verdict(list.rps >= 0.25 * ceiling.rps)} |`,
    `| manager RSS idle < 150 MB | ${idle.rss.toFixed(0)} MB | ${verdict(idle.rss < 150)} |`,
    `| manager RSS peak under load | ${peak.toFixed(0)} MB (VmHWM ${hwm.toFixed(0)} MB) | |`,
    '',
    "Cloudify's own sizing guideline is about 10 requests/s.",
  ].join('\n');
  console.log(section);
  for (const r of [list, status, ceiling]) if (r.firstError) log(`${r.name}: first error: ${r.firstError}`);

  const file = join(ROOT, 'docs/benchmarks.md');
  const block = `<!-- rest:start -->\n${section}\n<!-- rest:end -->`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const next = /<!-- rest:start -->[\s\S]*<!-- rest:end -->/.test(old)
    ? old.replace(/<!-- rest:start -->[\s\S]*<!-- rest:end -->/, block)
    : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
  log(`written to ${file}`);
} finally {
  await stopChild(manager);
  await stopChild(bare);
  await pg?.stop().catch((e) => log(`stopping PostgreSQL: ${(e as Error).message}`));
  if (process.env.BENCH_REST_KEEP) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
