// A real Prometheus for tests: Debian's `prometheus` on loopback behind a web config (TLS with a CA made
// here, bcrypt basic auth), served under /monitoring as on a manager (cfy_manager.md §7.1-7.2), with a
// 1 s scrape and evaluation interval. Exporters are small HTTP servers of this process serving fixed
// text-format series; stopping one makes Prometheus see its target down.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { freePort } from './postgres.js';

const BIN = '/usr/bin/prometheus';

/** Why a real Prometheus cannot run here, or undefined (installs the Debian package when root). */
export function prometheusUnavailable(): string | undefined {
  if (existsSync(BIN)) return undefined;
  if (process.getuid?.() !== 0)
    return 'prometheus is not installed and this is not root (apt-get install prometheus)';
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    stdio: 'ignore',
    timeout: 300_000,
  });
  return r.status === 0 && existsSync(BIN) ? undefined : 'apt-get install prometheus failed';
}

export interface Exporter {
  port: number;
  /** Replace the served series (next scrape). */
  set(text: string): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Serves `text` (the Prometheus text format) on /metrics at 127.0.0.1:<port>; stop/start keep the port. */
export async function startExporter(initial: string): Promise<Exporter> {
  let text = initial;
  const port = await freePort();
  let server: Server | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(text);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });
  await start();
  return {
    port,
    start,
    set: (t) => {
      text = t;
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

export interface ScrapeJob {
  job: string;
  /** One target per exporter, labelled with the node's private IP as `host` (as the installer does). */
  targets: { port: number; host: string }[];
}

export interface TestPrometheus {
  /** Base URL with the route prefix: https://127.0.0.1:<port>/monitoring */
  url: string;
  caPath: string;
  username: string;
  password: string;
  /** Instant query through the same TLS and basic auth (test assertions). */
  query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  logs(): string;
  stop(): Promise<void>;
}

function scrapeConfig(jobs: ScrapeJob[]): string {
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    '  scrape_timeout: 900ms',
    '  external_labels: {monitor: cloudify}',
    'rule_files: [rules.yml]',
    'scrape_configs:',
  ];
  for (const j of jobs) {
    lines.push(`  - job_name: ${j.job}`, '    static_configs:');
    for (const t of j.targets)
      lines.push(`      - targets: ['127.0.0.1:${t.port}']`, `        labels: {host: '${t.host}'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** GET over TLS verified with `ca`; `auth` is `user:password` (basic auth); no keep-alive unless `agent`. */
export function get(
  url: string,
  ca: string,
  auth?: string,
  agent?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, auth, agent: (agent as any) ?? false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function startPrometheus(o: { jobs: ScrapeJob[]; rules: string }): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-prom-'));
  const port = await freePort();
  const ca = await generateCa();
  const leaf = await generateLeaf('127.0.0.1', ['127.0.0.1', 'localhost'], ca);
  const f = (name: string, text: string, mode = 0o644) => {
    writeFileSync(join(dir, name), text, { mode });
    return join(dir, name);
  };
  const caPath = f('ca.crt', ca.certPem);
  f('tls.crt', leaf.certPem);
  f('tls.key', leaf.keyPem, 0o600);
  const username = 'monitor';
  const password = `pw-${process.pid}-${port}`;
  f(
    'web.yml',
    `tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  ${username}: '${bcrypt.hashSync(password, 8)}'\n`,
  );
  f('rules.yml', o.rules);
  f('prometheus.yml', scrapeConfig(o.jobs));
  const base = `https://127.0.0.1:${port}/monitoring`;
  const proc: ChildProcess = spawn(
    BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.config.file=${join(dir, 'web.yml')}`,
      `--web.external-url=${base}`,
      '--query.lookback-delta=3s',
      '--log.level=warn',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const auth = `${username}:${password}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
    const r = await get(`${base}/-/ready`, ca.certPem, auth).catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`prometheus did not become ready within 30 s:\n${out}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  return {
    url: base,
    caPath,
    username,
    password,
    async query(q) {
      const r = await get(`${base}/api/v1/query?query=${encodeURIComponent(q)}`, ca.certPem, auth);
      if (r.status !== 200) throw new Error(`query ${q}: HTTP ${r.status} ${r.body}`);
      return JSON.parse(r.body).data.result;
    },
    logs: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
