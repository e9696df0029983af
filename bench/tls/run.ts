// TLS front benchmark (cfy_manager.md §6.5; the decision between nginx and Node's own TLS). One run
// starts every configuration at once, then measures them in turn for several rounds (so a change
// in the load of this shared machine hits them alike) and reports each figure's median over the
// rounds, with the load average:
//   floor      a bare node:https server answering a constant (every figure is a ratio to it)
//   plain      the manager without TLS (reference: what TLS costs)
//   node ×N    `cfy_manager serve` with its TLS front, N REST worker processes
//   nginx ×N   Debian's nginx terminating TLS, proxying to `cfy_manager serve` (plain) on 127.0.0.1
// each on: authenticated GET /api/v3.1/status and a 100-item deployments list over keep-alive
// (50 connections), and new connections (`Connection: close`: one full TLS handshake per request).
// Certificates as the installer makes them (RSA 4096). PostgreSQL 15 and RabbitMQ are throwaway
// instances on loopback. Rewrites the `tls` section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startBroker, type TestBroker } from '../../test/bus/rabbit-broker.js';
import { freePort, startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { runHandshakes } from './handshake.js';
import { ensureNginx, startNginx } from './nginx.js';
import { cpuMs, fetchText, rssMb, start, stop, tree, waitReady } from './procs.js';
import { type Row, section, writeSection } from './report.js';
import { ensureWrk, listScript, runWrk } from './wrk.js';

const SECONDS = Number(process.env.BENCH_TLS_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_TLS_ROUNDS ?? 5);
const CONNECTIONS = 50;
/** Concurrent new-connection loops: enough to keep both cores busy with handshakes. */
const HANDSHAKE_CONNECTIONS = 16;
const WARMUP_S = 1;
/** REST worker processes tried, for both fronts. */
const WORKERS = (process.env.BENCH_TLS_WORKERS ?? '1,2').split(',').map(Number);
const DEPLOYMENTS = 1000;
const PASSWORD = 'bench-admin-pw';
const ROOT = join(import.meta.dirname, '../..');
const HOST = '127.0.0.1';
const log = (msg: string) => process.stderr.write(`[bench:tls] ${msg}\n`);

interface Target {
  config: string;
  base: string;
  pids: () => number[];
  measures: Row['measure'][];
}

const dir = mkdtempSync(join(tmpdir(), 'stratus-tls-bench-'));
const samples: Row[] = [];
let headers: Record<string, string> = {};
let pg: TestPostgres | undefined;
let broker: TestBroker | undefined;
const running: ReturnType<typeof start>[] = [];

async function measure(t: Target, m: Row['measure'], round: number, script: string): Promise<void> {
  const url = new URL(t.base);
  const run = (seconds: number) =>
    m === 'handshake'
      ? runHandshakes(
          { host: url.hostname, port: Number(url.port), path: '/api/v3.1/status', headers },
          seconds,
          HANDSHAKE_CONNECTIONS,
        )
      : runWrk({
          url: `${t.base}/api/v3.1/status`,
          connections: CONNECTIONS,
          headers,
          seconds,
          script: m === 'list' ? script : undefined,
        });
  await run(WARMUP_S);
  const procs = t.pids();
  const cpu0 = cpuMs(procs);
  const r = await run(SECONDS);
  const cpu = cpuMs(procs) - cpu0;
  const load = loadavg()[0];
  samples.push({
    config: t.config,
    measure: m,
    round,
    ...r,
    cpuPerReq: cpu / Math.max(1, r.requests),
    rss: rssMb(procs),
    load,
  });
  log(
    `round ${round} ${t.config} ${m}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.errors} errors, load ${load.toFixed(2)}`,
  );
  if (r.errors > 0) log(r.raw);
}

async function certs() {
  const ca = await generateCa();
  const leaf = await generateLeaf('localhost', [HOST, 'localhost'], ca);
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'internal.crt'), key: join(dir, 'internal.key') };
  writeFileSync(files.ca, ca.certPem);
  writeFileSync(files.cert, leaf.certPem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  return files;
}

async function seed(url: string): Promise<void> {
  const db = await openServer(parseDbUrl(url));
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
    [bp!.sid, DEPLOYMENTS],
  );
  await db.query('ANALYZE');
  await db.close();
}

const BARE = `
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
const s = createServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY), minVersion: 'TLSv1.2' },
  (req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"status":"OK","services":{}}'); });
s.keepAliveTimeout = 72000;
s.listen(Number(process.env.PORT), '127.0.0.1');
`;

function serveArgs(workers: number, extra: string[]): string[] {
  return [
    'serve',
    '--admin-password',
    PASSWORD,
    '--host',
    HOST,
    '--data-dir',
    join(dir, 'data'),
    '--workers',
    String(workers),
    ...extra,
  ];
}

async function runManager(name: string, workers: number, extra: string[], probe: string, ca?: Buffer) {
  const child = start(join(ROOT, 'bin/cfy_manager'), serveArgs(workers, extra), join(dir, `${name}.log`), {
    STRATUS_DB_URL: pg!.url,
    STRATUS_AMQP_URL: broker!.url,
  });
  running.push(child);
  await waitReady(probe, child, name, ca);
  return child;
}

type Files = { ca: string; cert: string; key: string };

async function floor(files: Files, ca: Buffer): Promise<Target> {
  const port = await freePort();
  const env = { CERT: files.cert, KEY: files.key, PORT: String(port) };
  const bare = start(process.execPath, ['--input-type=module', '-e', BARE], join(dir, 'bare.log'), env);
  running.push(bare);
  await waitReady(`https://localhost:${port}/`, bare, 'the bare https server', ca);
  const pids = () => tree(bare.pid!);
  return {
    config: 'floor: bare node:https',
    base: `https://${HOST}:${port}`,
    pids,
    measures: ['status', 'handshake'],
  };
}

/** The plain manager starts first: it migrates the database, gives the token, and is seeded behind. */
async function plainAndToken(): Promise<Target> {
  const port = await freePort();
  const m = await runManager('plain', 1, ['--port', String(port)], `http://${HOST}:${port}/api/v3.1/ok`);
  const basic = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
  const tok = await fetchText(`http://${HOST}:${port}/api/v3.1/tokens`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/json' },
    body: '{"description":"bench"}',
  });
  if (tok.status !== 200) throw new Error(`POST /tokens answered ${tok.status}: ${tok.body}`);
  headers = { 'authentication-token': JSON.parse(tok.body).value, tenant: 'default_tenant' };
  await seed(pg!.url);
  const page = await fetchText(`http://${HOST}:${port}/api/v3.1/deployments?_size=100`, { headers });
  if (JSON.parse(page.body).items?.length !== 100) throw new Error(`list: ${page.body.slice(0, 300)}`);
  const pids = () => tree(m.pid!);
  return {
    config: 'plain HTTP manager ×1 (no TLS)',
    base: `http://${HOST}:${port}`,
    pids,
    measures: ['status', 'list'],
  };
}

async function nodeFront(workers: number, files: Files, ca: Buffer): Promise<Target> {
  const [https, internal, http] = [await freePort(), await freePort(), await freePort()];
  const tls = ['--internal-cert', files.cert, '--internal-key', files.key, '--ca-cert', files.ca];
  const ports = [
    '--https-port',
    String(https),
    '--internal-port',
    String(internal),
    '--http-port',
    String(http),
  ];
  const m = await runManager(
    `node-${workers}`,
    workers,
    [...tls, ...ports],
    `https://localhost:${https}/api/v3.1/ok`,
    ca,
  );
  const pids = () => tree(m.pid!);
  return {
    config: `node TLS front ×${workers}`,
    base: `https://${HOST}:${https}`,
    pids,
    measures: ['status', 'list', 'handshake'],
  };
}

async function nginxFront(workers: number, files: Files, ca: Buffer): Promise<Target> {
  const [port, https] = [await freePort(), await freePort()];
  const m = await runManager(
    `nginx-up-${workers}`,
    workers,
    ['--port', String(port)],
    `http://${HOST}:${port}/api/v3.1/ok`,
  );
  const ndir = join(dir, `nginx-${workers}`);
  mkdirSync(ndir, { recursive: true });
  const ng = startNginx(ndir, https, port, files.cert, files.key);
  running.push(ng);
  await waitReady(`https://localhost:${https}/api/v3.1/ok`, ng, 'nginx', ca);
  const pids = () => [...tree(ng.pid!), ...tree(m.pid!)];
  return {
    config: `nginx → manager ×${workers}`,
    base: `https://${HOST}:${https}`,
    pids,
    measures: ['status', 'list', 'handshake'],
  };
}

const loads = [loadavg()[0]];
try {
  ensureWrk();
  ensureNginx();
  log('certificates (RSA 4096), PostgreSQL 15, RabbitMQ');
  const files = await certs();
  const ca = readFileSync(files.ca);
  pg = await startPostgres();
  broker = await startBroker();
  const targets = [await floor(files, ca), await plainAndToken()];
  for (const workers of WORKERS) {
    targets.push(await nodeFront(workers, files, ca), await nginxFront(workers, files, ca));
  }
  const script = listScript(dir, DEPLOYMENTS);
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) for (const m of t.measures) await measure(t, m, round, script);
    loads.push(loadavg()[0]);
  }
  const nginx = execFileSync('sh', ['-c', 'nginx -v 2>&1'], { encoding: 'utf8' }).trim();
  const text = section(samples, {
    root: ROOT,
    seconds: SECONDS,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    loads,
    nginx,
  });
  console.log(text);
  log(`written to ${writeSection(ROOT, text)}`);
} finally {
  for (const c of running) await stop(c);
  await pg?.stop().catch((e) => log(`stopping PostgreSQL: ${(e as Error).message}`));
  await broker?.stop().catch((e) => log(`stopping RabbitMQ: ${(e as Error).message}`));
  if (process.env.BENCH_TLS_KEEP) log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
