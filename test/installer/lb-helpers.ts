// The load balancer suites' rig: three real `cfy_manager serve` managers with the TLS front on
// 127.0.0.2-4 (same ports on each address), a config.yaml naming them, and the real haproxy in front of
// them as a child process on free loopback ports, with the installer's own rendering.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { HAPROXY, writeChecked } from '../../src/installer/components/load-balancer/component.js';
import type { LbLayout, LoadBalancerConfig } from '../../src/installer/components/load-balancer/render.js';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import { CFY_MANAGER, ROOT } from '../entry/tls-helpers.js';
import { freePort } from '../helpers/postgres.js';

export const MANAGER_IPS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
export const PASSWORD = 'lb-test-admin-pw';

export interface LbCerts {
  ca: string;
  managerCert: string;
  managerKey: string;
  lbCert: string;
  lbKey: string;
}

export async function makeLbCerts(dir: string): Promise<LbCerts> {
  mkdirSync(dir, { recursive: true });
  const ca = await generateCa();
  const manager = await generateLeaf(MANAGER_IPS[0]!, MANAGER_IPS, ca);
  const lb = await generateLeaf('127.0.0.1', ['127.0.0.1', 'localhost'], ca);
  const f = {
    ca: join(dir, 'ca.crt'),
    managerCert: join(dir, 'manager.crt'),
    managerKey: join(dir, 'manager.key'),
    lbCert: join(dir, 'lb.crt'),
    lbKey: join(dir, 'lb.key'),
  };
  writeFileSync(f.ca, ca.certPem);
  writeFileSync(f.managerCert, manager.certPem);
  writeFileSync(f.managerKey, manager.keyPem, { mode: 0o600 });
  writeFileSync(f.lbCert, lb.certPem);
  writeFileSync(f.lbKey, lb.keyPem, { mode: 0o600 });
  return f;
}

export interface Backend {
  name: string;
  ip: string;
  proc: ChildProcess;
  output: () => string;
}

export interface BackendPorts {
  https: number;
  agents: number;
  http: number;
}

/** One `cfy_manager serve` on `ip`, resolved when it says it is up. */
export async function startBackend(
  name: string,
  ip: string,
  ports: BackendPorts,
  certs: LbCerts,
  dataDir: string,
): Promise<Backend> {
  mkdirSync(join(dataDir, 'resources', 'cloudify_agent'), { recursive: true });
  writeFileSync(join(dataDir, 'resources', 'cloudify_agent', 'agent.tar.gz'), 'agent package');
  const args = ['serve', '--host', ip, '--data-dir', dataDir, '--admin-password', PASSWORD];
  args.push('--https-port', String(ports.https), '--internal-port', String(ports.agents));
  args.push('--http-port', String(ports.http), '--internal-cert', certs.managerCert);
  args.push('--internal-key', certs.managerKey, '--ca-cert', certs.ca, '--workers', '1');
  const proc = spawn(CFY_MANAGER, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(proc);
  await waitFor(proc, out, 'Manager is up at', 120_000);
  return { name, ip, proc, output: out };
}

function collect(proc: ChildProcess): () => string {
  let out = '';
  const add = (d: Buffer) => {
    out = (out + d).slice(-50_000);
  };
  proc.stdout?.on('data', add);
  proc.stderr?.on('data', add);
  return () => out;
}

function waitFor(proc: ChildProcess, out: () => string, text: string, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out().includes(text)) done();
      else if (proc.exitCode !== null || proc.signalCode !== null) done(new Error(`exited:\n${out()}`));
      else if (Date.now() > deadline) done(new Error(`no "${text}" within ${ms} ms:\n${out()}`));
    }, 100);
    const deadline = Date.now() + ms;
    const done = (err?: Error) => {
      clearInterval(timer);
      if (err) {
        proc.kill('SIGKILL');
        reject(err);
      } else resolve();
    };
  });
}

/** SIGTERM, then SIGKILL after `ms`; resolves once the process is gone. */
export async function stopProc(proc: ChildProcess | undefined, ms = 15_000): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  const force = setTimeout(() => proc.kill('SIGKILL'), ms);
  proc.kill('SIGTERM');
  await gone;
  clearTimeout(force);
}

/** A config.yaml of the LB node, as the contract gives it, loaded by the installer's own loader. */
export function lbConfig(
  dir: string,
  certs: LbCerts,
  managers: Record<string, string>,
  healthCheck?: LoadBalancerConfig['health_check'],
): LoadBalancerConfig {
  const file = join(dir, 'config.yaml');
  const doc = {
    manager: { private_ip: '127.0.0.1', public_ip: '127.0.0.1' },
    load_balancer: {
      managers: Object.fromEntries(Object.entries(managers).map(([n, ip]) => [n, { ip }])),
      cert_path: certs.lbCert,
      key_path: certs.lbKey,
      ca_path: certs.ca,
      ...(healthCheck ? { health_check: healthCheck } : {}),
    },
    services_to_install: ['load_balancer_service'],
  };
  writeFileSync(file, stringify(doc));
  // The installer's loader (defaults, merge, schema) on a file outside /etc/cloudify.
  const tree = deepMerge(packagedDefaults(), parse(readFileSync(file, 'utf8')));
  return finishConfig(tree, [file]).load_balancer;
}

export interface Lb {
  proc: ChildProcess;
  layout: LbLayout;
  cfgFile: string;
  masterSocket: string;
  output: () => string;
}

/** The layout of a test balancer: free loopback ports, files in `dir`. */
export async function testLayout(dir: string, managerPorts: BackendPorts): Promise<LbLayout> {
  return {
    bind: '127.0.0.1',
    ports: { http: await freePort(), https: await freePort(), agents: await freePort() },
    managerPorts: { https: managerPorts.https, agents: managerPorts.agents },
    certPem: join(dir, 'cert.pem'),
    caFile: join(dir, 'ca.crt'),
    statsSocket: join(dir, 'admin.sock'),
    user: 'haproxy',
  };
}

/** Renders and checks the files (the installer's own code), then runs haproxy -W -db on them. */
export async function startLb(
  dir: string,
  lb: LoadBalancerConfig,
  layout: LbLayout,
  tweak?: (cfg: string) => string,
): Promise<Lb> {
  const cfgFile = join(dir, 'haproxy.cfg');
  const masterSocket = join(dir, 'master.sock');
  await writeChecked(lb, layout, cfgFile);
  if (tweak) writeFileSync(cfgFile, tweak(readFileSync(cfgFile, 'utf8')));
  const proc = spawn(HAPROXY, ['-W', '-db', '-S', `${masterSocket},mode,600`, '-f', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(proc);
  await waitFor(proc, output, 'Loading success', 15_000);
  return { proc, layout, cfgFile, masterSocket, output };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a new connection, the LB's certificate verified with the CA (no CA: plain HTTP). */
export function get(
  port: number,
  path: string,
  ca: Buffer | undefined,
  timeoutMs = 5000,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, path, ca, headers, agent: false, timeout: timeoutMs };
    const req = (ca ? request : httpRequest)(opts, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface GapReport {
  /** The longest time without a 401 answer, from the kill on (ms). */
  longestGapMs: number;
  failures: number;
  requests: number;
}

/**
 * Loops GET /api/v3.1/status through the LB for `durationMs`, calling `kill` after `killAfterMs`;
 * records the longest stretch without a good answer (401) that includes the kill.
 */
export async function measureGap(
  port: number,
  ca: Buffer,
  kill: () => void,
  killAfterMs = 1000,
  durationMs = 10_000,
): Promise<GapReport> {
  const t0 = Date.now();
  let lastOk = t0;
  let killed = false;
  let killedAt = 0;
  let longest = 0;
  let failures = 0;
  let requests = 0;
  while (Date.now() - t0 < durationMs) {
    if (!killed && Date.now() - t0 >= killAfterMs) {
      kill();
      killed = true;
      killedAt = Date.now();
    }
    requests++;
    const ok = await get(port, '/api/v3.1/status', ca, 10_000)
      .then((a) => a.status === 401)
      .catch(() => false);
    const now = Date.now();
    if (ok) {
      if (killed) longest = Math.max(longest, now - Math.max(lastOk, killedAt));
      lastOk = now;
    } else failures++;
  }
  if (Date.now() - lastOk > longest && killed) longest = Date.now() - Math.max(lastOk, killedAt);
  return { longestGapMs: longest, failures, requests };
}
