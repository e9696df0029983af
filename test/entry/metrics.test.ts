// Our own Prometheus metrics, scraped from real processes: `cfy_manager serve --metrics-port` on the
// embedded default (REST and the in-process worker on one port), and on the server setup a REST
// service with two processes (the node:cluster primary aggregates them) beside a separate worker.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { brokerUnavailable, startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { ADMIN_PASSWORD } from '../helpers/manager.js';
import { API, type Caller, events, runWorkflow, until } from '../worker/helpers.js';
import { deploy } from '../worker/mini.js';
import {
  freePort,
  type ManagerProc,
  type Proc,
  startManagerProcess,
  startWorkerProcess,
} from '../worker/processes.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample `name` with (at least) these labels; 0 when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

async function scrape(port: number): Promise<{ samples: Sample[]; contentType: string }> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(r.status, 200);
  return { samples: parse(await r.text()), contentType: r.headers.get('content-type') ?? '' };
}

const requests = (samples: Sample[], route: string, status: number) =>
  value(samples, 'stratus_http_request_duration_seconds_count', {
    method: 'GET',
    route,
    status_code: String(status),
  });

/** Resolves with the error code of a TCP connection attempt, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(3000, () => {
      s.destroy();
      resolve('timeout');
    });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Local addresses of the listening TCP sockets on `port`, from /proc (hex, as the kernel writes them). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1]?.endsWith(`:${hexPort}`) && c[3] === '0A')
      .map((c) => c[1]!.split(':')[0]!),
  );
}

/** GET on a connection of its own (no keep-alive), as admin; resolves with the status code. */
function getClosing(url: string): Promise<number> {
  const auth = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers: { authorization: auth, tenant: 'default_tenant' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'stratus-metrics-'));
after(() => rmSync(work, { recursive: true, force: true }));

const PROMETHEUS = '/usr/bin/prometheus';

/** Skips without the prometheus package, except under CI=true, where the test must run. */
function prometheusMissing(): string | undefined {
  if (existsSync(PROMETHEUS) || process.env.CI === 'true') return undefined;
  return 'prometheus is not installed (apt-get install -y --no-install-recommends prometheus)';
}

/** A throwaway Prometheus scraping 127.0.0.1:<port> every second. */
async function startPrometheus(port: number) {
  const dir = mkdtempSync(join(work, 'prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: stratus\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`,
  );
  const web = await freePort();
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${web}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-5000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const get = async (path: string): Promise<any> => {
    if (child.exitCode !== null) throw new Error(`prometheus exited:\n${err}`);
    const r = await fetch(`http://127.0.0.1:${web}${path}`).catch(() => undefined);
    return r?.ok ? r.json() : { data: { activeTargets: [], result: [] } };
  };
  return {
    get,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function executionIds(m: Caller, deployment: string): Promise<string[]> {
  const r = await m.call({
    method: 'GET',
    url: `${API}/executions?deployment_id=${deployment}&_include_system_workflows=true`,
  });
  return (r.json().items as any[]).map((e) => e.id as string);
}

/** Every event and log row of these executions, by event_type (logs under 'log'). */
async function rowsOf(m: Caller, ids: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of ids) {
    for (const e of await events(m, id)) counts.set(e.event_type, (counts.get(e.event_type) ?? 0) + 1);
    counts.set('log', (counts.get('log') ?? 0) + (await events(m, id, 'cloudify_log')).length);
  }
  return counts;
}

describe('cfy_manager serve --metrics-port, embedded default', () => {
  let m: ManagerProc;
  let port: number;
  before(async () => {
    port = await freePort();
    m = await startManagerProcess(['--data-dir', join(work, 'embedded'), '--metrics-port', String(port)]);
  });
  after(async () => {
    await m?.kill('SIGTERM');
  });

  test('REST requests are counted by route pattern and status code, never by raw URL', async () => {
    const was = (await scrape(port)).samples;
    for (let i = 0; i < 3; i++) {
      const r = await m.call({ method: 'GET', url: `${API}/deployments/no-such-dep-${i}` });
      assert.equal(r.statusCode, 404, r.body);
    }
    for (let i = 0; i < 2; i++)
      assert.equal((await m.call({ method: 'GET', url: `${API}/status` })).statusCode, 200);
    const anon = await fetch(`${m.url}${API}/deployments/x`);
    assert.equal(anon.status, 401);
    assert.equal((await fetch(`${m.url}/no/such/url/at/all`)).status, 404);
    const { samples, contentType } = await scrape(port);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    const delta = (route: string, status: number) =>
      requests(samples, route, status) - requests(was, route, status);
    assert.equal(delta(`${API}/deployments/:id`, 404), 3);
    assert.equal(delta(`${API}/deployments/:id`, 401), 1);
    assert.equal(delta(`${API}/status`, 200), 2);
    assert.equal(delta('<unmatched>', 404), 1);
    const routes = new Set(samples.map((s) => s.labels.route).filter(Boolean));
    for (const r of routes) assert.doesNotMatch(r!, /no-such-dep|no\/such/, `a raw URL became a label: ${r}`);
    // The histogram is whole: +Inf bucket = count, and the time spent is there.
    const labels = { method: 'GET', route: `${API}/status`, status_code: '200' };
    assert.equal(
      value(samples, 'stratus_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
      value(samples, 'stratus_http_request_duration_seconds_count', labels),
    );
    assert.ok(value(samples, 'stratus_http_request_duration_seconds_sum', labels) > 0);
    // prom-client's default process metrics.
    assert.ok(value(samples, 'process_cpu_user_seconds_total') > 0);
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'));
  });

  test('the listener is bound to 127.0.0.1 only and serves /metrics only', async () => {
    assert.deepEqual(listeningAddresses(port), ['0100007F'], 'one listening socket, on 127.0.0.1');
    // 127.0.0.2 reaches this host too, but not a socket bound to 127.0.0.1.
    assert.equal(await tryConnect('127.0.0.2', port), 'ECONNREFUSED');
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (other) assert.equal(await tryConnect(other, port), 'ECONNREFUSED', `reachable via ${other}`);
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v3.1/status`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status, 405);
  });

  test('a real Prometheus scrapes the endpoint', { skip: prometheusMissing(), timeout: 60_000 }, async () => {
    assert.equal((await m.call({ method: 'GET', url: `${API}/status` })).statusCode, 200);
    const prom = await startPrometheus(port);
    try {
      const target = await until(
        () => prom.get('/api/v1/targets'),
        (t) => t.data.activeTargets[0]?.health === 'up',
        30_000,
        'Prometheus to scrape the target',
        250,
      );
      assert.equal(target.data.activeTargets[0].lastError, '');
      const q = (expr: string) => prom.get(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      const status = await q(
        `stratus_http_request_duration_seconds_count{route="${API}/status",status_code="200"}`,
      );
      assert.ok(Number(status.data.result[0]?.value[1]) >= 1, JSON.stringify(status));
      const depth = await q('stratus_execution_queue_depth');
      assert.equal(depth.data.result[0]?.value[1], '0', JSON.stringify(depth));
      const executions = await q('count(stratus_executions)');
      assert.equal(executions.data.result[0]?.value[1], '10', JSON.stringify(executions));
    } finally {
      await prom.stop();
    }
  });

  test('a metrics port in use is one line and exit code 1, for serve and worker', async () => {
    // (not spawnSync: a blocked event loop would leave the scrapes' keep-alive socket stale)
    const run = async (args: string[]) => {
      const r = await execFileAsync(join(ROOT, 'bin', 'cfy_manager'), args, {
        cwd: ROOT,
        timeout: 120_000,
      }).then(
        () => ({ status: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ status: e.code, stderr: e.stderr ?? '' }),
      );
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.split('\n').length, 2, `not one line:\n${r.stderr}`);
      return r.stderr.trim();
    };
    const expected = `cfy_manager: error: --metrics-port ${port}: 127.0.0.1:${port} is in use; choose another port`;
    const restPort = String(await freePort());
    const dataDir = join(work, 'clash');
    assert.equal(
      await run(['serve', '--data-dir', dataDir, '--port', restPort, '--metrics-port', String(port)]),
      expected,
    );
    const unreachable = ['--db', 'postgres://u@127.0.0.1:1/x', '--amqp', 'amqp://127.0.0.1:1'];
    assert.equal(await run(['worker', ...unreachable, '--metrics-port', String(port)]), expected);
  });

  test('an install shows in the operations, executions and event lag', { timeout: 180_000 }, async () => {
    const was = (await scrape(port)).samples;
    await deploy(m, join(work, 'markers'), 'ok', {
      a: {
        ops: {
          create: { mode: 'retry-once', retry_interval: 0 },
          configure: {},
          start: { mode: 'fail-once', max_retries: 2, retry_interval: 0 },
        },
      },
    });
    await deploy(m, join(work, 'markers'), 'bad', {
      b: { ops: { create: { mode: 'fail-once', max_retries: 0 } } },
    });
    const ok = await runWorkflow(m, 'ok', 'install');
    assert.equal(ok.status, 'terminated', ok.error);
    const bad = await runWorkflow(m, 'bad', 'install');
    assert.equal(bad.status, 'failed');
    const ids = [...(await executionIds(m, 'ok')), ...(await executionIds(m, 'bad'))];
    assert.equal(ids.length, 4, 'two create_deployment_environment and two installs');
    const rows = await rowsOf(m, ids);
    const { samples } = await scrape(port);
    const ops = (result: string) =>
      value(samples, 'stratus_operations_total', { result }) -
      value(was, 'stratus_operations_total', { result });
    // Every operation of the task graphs counts (plugin operations and the local tasks that set
    // instance states and send node events), as finished_operations does.
    assert.equal(ok.finished_operations, ok.total_operations);
    assert.equal(ops('succeeded') + ops('failed'), ok.finished_operations + bad.finished_operations);
    assert.ok(ops('succeeded') >= (rows.get('task_succeeded') ?? 0), JSON.stringify([...rows]));
    assert.equal(ops('retried'), 2);
    assert.equal(ops('retried'), rows.get('task_rescheduled'));
    assert.equal(ops('failed'), 1);
    assert.equal(ops('failed'), rows.get('task_failed'));
    // A fresh database: these are all its executions.
    assert.equal(value(samples, 'stratus_executions', { status: 'terminated' }), 3);
    assert.equal(value(samples, 'stratus_executions', { status: 'failed' }), 1);
    assert.equal(value(samples, 'stratus_executions', { status: 'queued' }), 0);
    assert.equal(value(samples, 'stratus_execution_queue_depth'), 0);
    // Every event and log row stored for them went through the lag histogram.
    const stored = [...rows.values()].reduce((a, b) => a + b, 0);
    const lag =
      value(samples, 'stratus_event_lag_seconds_count') - value(was, 'stratus_event_lag_seconds_count');
    assert.equal(lag, stored);
    assert.ok(value(samples, 'stratus_event_lag_seconds_sum') > 0);
  });
});

describe('server setup: REST with --workers 2 and a separate worker', { skip: brokerUnavailable() }, () => {
  let pg: TestPostgres;
  let broker: TestBroker;
  let rest: ManagerProc;
  let worker: Proc;
  let restMetrics: number;
  let workerMetrics: number;
  before(async () => {
    [pg, broker] = await Promise.all([startPostgres(), startBroker()]);
    [restMetrics, workerMetrics] = [await freePort(), await freePort()];
    const common = ['--data-dir', join(work, 'server'), '--db', pg.url, '--amqp', broker.url];
    mkdirSync(join(work, 'server'), { recursive: true });
    rest = await startManagerProcess([...common, '--workers', '2', '--metrics-port', String(restMetrics)]);
    const restPort = new URL(rest.url).port;
    worker = await startWorkerProcess([
      ...common,
      '--rest-port',
      restPort,
      '--metrics-port',
      String(workerMetrics),
    ]);
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await rest?.kill('SIGTERM');
    await broker?.stop();
    await pg?.stop();
  });

  test('the primary serves the requests of both REST processes', { timeout: 120_000 }, async () => {
    const was = (await scrape(restMetrics)).samples;
    // A new connection each, one after the other: the primary's round robin alternates the processes,
    // so a count of n is the sum of both (one process alone would show about n/2).
    const n = 20;
    for (let i = 0; i < n; i++) assert.equal(await getClosing(`${rest.url}${API}/status`), 200);
    const { samples } = await scrape(restMetrics);
    assert.equal(requests(samples, `${API}/status`, 200) - requests(was, `${API}/status`, 200), n);
    assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes'));
    // The worker's metrics are the worker process's, not the REST service's.
    assert.equal(
      samples.filter((s) => s.name === 'stratus_operations_total').length,
      0,
      'REST serves no worker metrics on the server setup',
    );
  });

  test("the worker's port shows the install it ran", { timeout: 180_000 }, async () => {
    await deploy(rest, join(work, 'server-markers'), 's1', { a: { ops: { create: {}, start: {} } } });
    const ex = await runWorkflow(rest, 's1', 'install', {}, 120_000);
    assert.equal(ex.status, 'terminated', ex.error);
    assert.ok(ex.finished_operations > 0);
    const { samples } = await until(
      () => scrape(workerMetrics),
      (s) => value(s.samples, 'stratus_operations_total', { result: 'succeeded' }) === ex.finished_operations,
      10_000,
      'the worker to count the operations',
    );
    assert.equal(value(samples, 'stratus_executions', { status: 'terminated' }), 2);
    assert.equal(samples.filter((s) => s.name === 'stratus_http_request_duration_seconds_count').length, 0);
  });
});
