// monitoring_service against the real Prometheus 2.42 (Debian's package; root installs it when missing):
// the component writes a queue node's and a manager's files into temporary layouts (promtool checks them
// there), then two Prometheus processes run the rendered command lines on free ports instead of 8009.
// Checked: basic auth (401/200), TLS verified against the monitoring CA (another CA, TLS 1.1 and plain
// HTTP fail), the manager federating the queue node's series through /monitoring/federate with match[],
// and the manager's rule files loaded. Measured: the latency of an authenticated request and the RSS.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import {
  certSans,
  generateCa,
  generateLeaf,
  type KeyAndCert,
  signedBy,
} from '../../src/installer/certs/x509.js';
import { deployMonitoringCerts } from '../../src/installer/components/monitoring/certs.js';
import { writeMonitoringFiles } from '../../src/installer/components/monitoring/component.js';
import { BIN, renderBlackbox, renderPrograms } from '../../src/installer/components/monitoring/render.js';
import {
  layoutUnder,
  type MonLayout,
  monitoringCredentials,
} from '../../src/installer/components/monitoring/settings.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import { Logger, setupLogging } from '../../src/installer/log.js';
import { freePort } from '../helpers/postgres.js';
import { get } from '../helpers/prometheus.js';
import { rssKb, writeCerts } from './monitoring-helpers.js';

const isRoot = process.getuid?.() === 0;

function unavailable(): string | undefined {
  if (!isRoot) return 'needs root (certificates chowned to the prometheus user)';
  if (existsSync(BIN.prometheus) && existsSync(BIN.promtool)) return undefined;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
    stdio: 'ignore',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0 && existsSync(BIN.prometheus) ? undefined : 'apt-get install prometheus failed';
}
// Under CI a missing package is a failure, not a skip.
const reason = unavailable();
const skip = reason && process.env.CI !== 'true' ? reason : false;

const work = mkdtempSync(join(tmpdir(), 'stratus-monitoring-'));
const USER = 'monitoringusername';
const PASSWORD = 'longyeteasytorememberstring-as-a-password';
const QUEUE_IP = '127.0.0.2';
const MANAGER_IP = '127.0.0.3';
const procs: ChildProcess[] = [];

function load(doc: Record<string, any>): Config {
  return deriveConfig(finishConfig(deepMerge(packagedDefaults(), doc), ['/etc/cloudify/config.yaml']));
}

const common = { prometheus: { credentials: { username: USER, password: PASSWORD }, scrape_interval: '1s' } };
const queueNode = () =>
  load({
    ...common,
    manager: { private_ip: QUEUE_IP, public_ip: QUEUE_IP },
    services_to_install: ['queue_service', 'monitoring_service'],
  });
const managerNode = (blackboxPort: number) =>
  load({
    ...common,
    prometheus: { ...common.prometheus, blackbox_exporter: { metrics_port: blackboxPort } },
    manager: { private_ip: MANAGER_IP, public_ip: MANAGER_IP },
    rabbitmq: { cluster_members: { queue1: { networks: { default: QUEUE_IP } } } },
    services_to_install: ['manager_service', 'monitoring_service'],
  });

interface Node {
  layout: MonLayout;
  port: number;
  proc: ChildProcess;
  pid: number;
}

/** The component's files in a temp layout, 8009 replaced by `ports` (own and peers), then Prometheus. */
async function startNode(
  name: string,
  config: Config,
  certs: { ca: KeyAndCert; leaf: KeyAndCert },
  port: number,
  peerPort?: number,
): Promise<Node> {
  const root = join(work, name);
  const layout = layoutUnder(join(root, 'etc'), join(root, 'data'), join(root, 'ssl'), join(root, 'log'));
  writeCerts(layout, certs.ca, certs.leaf);
  await writeMonitoringFiles(config, layout, monitoringCredentials(config), { uid: 0, gid: 0 });
  for (const f of readdirSync(layout.targetsDir)) {
    const p = join(layout.targetsDir, f);
    const text = readFileSync(p, 'utf8')
      .replaceAll('127.0.0.1:8009', `127.0.0.1:${port}`)
      .replaceAll(':8009', `:${peerPort ?? port}`);
    writeFileSync(p, text);
  }
  const prom = renderPrograms(config, { layout, supervisorSocket: '/nonexistent' })[0]!;
  const argv = prom.command
    .split(' ')
    .map((a) => a.replace(/^--web\.listen-address=:8009$/, `--web.listen-address=:${port}`));
  const proc = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, ...prom.environment },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d) => {
    log += d.toString();
  });
  procs.push(proc);
  for (let i = 0; i < 100; i++) {
    const r = await get(
      `https://${config.manager.private_ip}:${port}/monitoring/-/ready`,
      certs.ca.certPem,
      `${USER}:${PASSWORD}`,
    ).catch(() => undefined);
    if (r?.status === 200) return { layout, port, proc, pid: proc.pid! };
    if (proc.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`prometheus ${name} did not become ready:\n${log.slice(-2000)}`);
}

let ca: KeyAndCert;
let queue: Node;
let manager: Node;
let rest: Server;

describe('the real Prometheus with the rendered files', { skip }, () => {
  before(async () => {
    setupLogging({ file: false, console: false });
    ca = await generateCa();
    const leafQ = await generateLeaf(QUEUE_IP, [QUEUE_IP], ca);
    const leafM = await generateLeaf(MANAGER_IP, [MANAGER_IP], ca);
    const [pq, pm, pb] = [await freePort(), await freePort(), await freePort()];
    queue = await startNode('queue', queueNode(), { ca, leaf: leafQ }, pq);
    manager = await startNode('manager', managerNode(pb), { ca, leaf: leafM }, pm, pq);
    // What the blackbox probes: a TLS server with the manager's certificate stands in for 443 and 53333.
    rest = createServer({ cert: leafM.certPem, key: leafM.keyPem }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => rest.listen(0, MANAGER_IP, r));
    const probes = join(manager.layout.targetsDir, 'local_http_200_manager.yml');
    const restPort = (rest.address() as AddressInfo).port;
    writeFileSync(
      probes,
      readFileSync(probes, 'utf8')
        .replace(':443/', `:${restPort}/`)
        .replace(':53333/', `:${restPort}/internal/`),
    );
    // The rendered blackbox program and file, with the test CA as the internal CA.
    writeFileSync(manager.layout.blackboxConfig, renderBlackbox(manager.layout.ca));
    const bb = renderPrograms(managerNode(pb), { layout: manager.layout, supervisorSocket: '/x' }).find(
      (p) => p.name === 'blackbox_exporter',
    )!;
    const [cmd, ...args] = bb.command.split(' ');
    procs.push(spawn(cmd!, args, { stdio: 'ignore' }));
  });
  after(() => {
    rest?.close();
    for (const p of procs) p.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  const url = (n: () => Node, ip: string, path: string) => `https://${ip}:${n().port}/monitoring${path}`;

  test('basic auth: no or wrong credentials 401, the right ones 200', async () => {
    const u = url(() => queue, QUEUE_IP, '/-/healthy');
    assert.equal((await get(u, ca.certPem)).status, 401);
    assert.equal((await get(u, ca.certPem, `${USER}:wrong`)).status, 401);
    assert.equal((await get(u, ca.certPem, `someoneelse:${PASSWORD}`)).status, 401);
    assert.equal((await get(u, ca.certPem, `${USER}:${PASSWORD}`)).status, 200);
    const metrics = await get(
      url(() => queue, QUEUE_IP, '/metrics'),
      ca.certPem,
      `${USER}:${PASSWORD}`,
    );
    assert.match(metrics.body, /^prometheus_build_info\{/m);
  });

  test('TLS: verified against the monitoring CA; another CA, TLS 1.1 and plain HTTP fail', async () => {
    const other = await generateCa();
    await assert.rejects(
      get(
        url(() => queue, QUEUE_IP, '/-/healthy'),
        other.certPem,
        `${USER}:${PASSWORD}`,
      ),
      /self.signed|unable to verify|UNABLE_TO_VERIFY/i,
    );
    // The certificate names 127.0.0.2 only: 127.0.0.3 is another host.
    await assert.rejects(
      get(
        url(() => queue, MANAGER_IP, '/-/healthy'),
        ca.certPem,
        `${USER}:${PASSWORD}`,
      ),
      /altnames|IP: 127\.0\.0\.3/i,
    );
    const handshake = (version: 'TLSv1.1' | 'TLSv1.2') =>
      new Promise<string>((resolve) => {
        const s = connect({
          host: QUEUE_IP,
          port: queue.port,
          ca: ca.certPem,
          maxVersion: version,
          minVersion: 'TLSv1',
          ciphers: 'DEFAULT@SECLEVEL=0', // so that the client would speak TLS 1.1: the server must refuse
        });
        s.on('secureConnect', () => {
          s.destroy();
          resolve('connected');
        });
        s.on('error', (e) => resolve(e.message));
      });
    assert.equal(await handshake('TLSv1.2'), 'connected');
    assert.match(await handshake('TLSv1.1'), /protocol version/, 'TLS 1.1 is refused (min_version TLS12)');
    const plain = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: QUEUE_IP, port: queue.port, path: '/monitoring/-/healthy', auth: `${USER}:${PASSWORD}` },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    }).catch((e: Error) => ({ status: 0, body: e.message }));
    // Go's TLS server answers a plain request with 400 and nothing else.
    assert.equal(plain.status, 400, 'no plain HTTP');
    assert.match(plain.body, /HTTP request to an HTTPS server/);
  });

  test('federation: /monitoring/federate with match[] gives the queue node series, and the manager holds them', async () => {
    const auth = `${USER}:${PASSWORD}`;
    const fed = (m: string) =>
      get(
        url(() => queue, QUEUE_IP, `/federate?match[]=${encodeURIComponent(m)}`),
        ca.certPem,
        auth,
      );
    // Wait until the queue node has scraped itself (1 s interval).
    let body = '';
    for (let i = 0; i < 50 && !body.includes('up{'); i++) {
      body = (await fed('{job="prometheus"}')).body;
      if (!body.includes('up{')) await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(
      body,
      /^up\{host="127\.0\.0\.2",instance="127\.0\.0\.1:\d+",job="prometheus",monitor="cloudify"\} 1 /m,
    );
    assert.equal((await fed(`{job="prometheus",host!="${QUEUE_IP}"}`)).body.trim(), '', 'match[] filters');
    const q = (expr: string) =>
      get(
        url(() => manager, MANAGER_IP, `/api/v1/query?query=${encodeURIComponent(expr)}`),
        ca.certPem,
        auth,
      );
    /** The query's first value, polled until it is '1' (10 s at most, scrapes every second). */
    const value = async (expr: string) => {
      let v: string | undefined;
      for (let i = 0; i < 50 && v !== '1'; i++) {
        v = JSON.parse((await q(expr)).body).data.result[0]?.value[1];
        if (v !== '1') await new Promise((r) => setTimeout(r, 200));
      }
      return v;
    };
    assert.equal(
      await value(`up{job="prometheus",host="${QUEUE_IP}"}`),
      '1',
      'the manager federated the queue node series',
    );
    assert.equal(
      await value('up{job="federate_rabbitmq_prometheus"}'),
      '1',
      'the federation scrape itself succeeds (TLS + auth)',
    );
    assert.equal(
      await value(`up{job="prometheus",host="${MANAGER_IP}"}`),
      '1',
      'the manager scrapes itself over TLS + auth',
    );
  });

  test('blackbox probes the manager over TLS verified with the CA; manager_healthy is 1', async () => {
    const q = (expr: string) =>
      get(
        url(() => manager, MANAGER_IP, `/api/v1/query?query=${encodeURIComponent(expr)}`),
        ca.certPem,
        `${USER}:${PASSWORD}`,
      );
    let v: string | undefined;
    for (let i = 0; i < 75 && v !== '1'; i++) {
      v = JSON.parse((await q(`manager_healthy{host="${MANAGER_IP}"}`)).body).data.result[0]?.value[1];
      if (v !== '1') await new Promise((r) => setTimeout(r, 200));
    }
    const why = async () =>
      JSON.stringify([
        JSON.parse((await q('up{job="http_200"}')).body).data.result,
        JSON.parse((await q('probe_success')).body).data.result,
      ]);
    assert.equal(v, '1', `both probes succeed: ${v === '1' ? '' : await why()}`);
    const probes = JSON.parse((await q('probe_success')).body).data.result;
    assert.deepEqual(
      probes.map((p: any) => p.value[1]),
      ['1', '1'],
    );
  });

  test("the manager's rule files load (Prometheus and promtool)", async () => {
    const r = await get(
      url(() => manager, MANAGER_IP, '/api/v1/rules'),
      ca.certPem,
      `${USER}:${PASSWORD}`,
    );
    const groups = (JSON.parse(r.body).data.groups as any[]).map(
      (g) => `${g.file.split('/').pop()}:${g.name}`,
    );
    assert.deepEqual(groups.sort(), [
      'manager.yml:manager',
      'manager_missing.yml:manager',
      'postgres.yml:postgres',
      'postgres_missing.yml:postgres',
      'rabbitmq.yml:rabbitmq',
      'rabbitmq_missing.yml:rabbitmq',
    ]);
    for (const f of readdirSync(manager.layout.alertsDir)) {
      const c = spawnSync(BIN.promtool, ['check', 'rules', join(manager.layout.alertsDir, f)], {
        encoding: 'utf8',
      });
      assert.equal(c.status, 0, `${f}: ${c.stdout}${c.stderr}`);
    }
    assert.deepEqual(readdirSync(queue.layout.alertsDir), [], 'only managers evaluate rules');
  });

  test('all-in-one without certificates: one is generated for the private IP, then kept', async () => {
    const c = load({ manager: { private_ip: '127.0.0.9', public_ip: '127.0.0.9', hostname: 'aio' } });
    const l = layoutUnder(join(work, 'aio'), join(work, 'aio', 'data'), join(work, 'aio', 'ssl'), work);
    const log = new Logger('test');
    await deployMonitoringCerts(c, l, 'prometheus', log);
    const cert = readFileSync(l.cert, 'utf8');
    assert.ok(await signedBy(cert, readFileSync(l.ca, 'utf8')), 'signed by the monitoring CA it made');
    assert.deepEqual(certSans(cert), ['127.0.0.9', '127.0.0.9', 'aio']);
    assert.equal(statSync(l.key).mode & 0o777, 0o400);
    assert.equal(statSync(l.key).uid, Number(execFileSync('id', ['-u', 'prometheus']).toString()));
    await deployMonitoringCerts(c, l, 'prometheus', log);
    assert.equal(readFileSync(l.cert, 'utf8'), cert, 'a re-run keeps it');
  });

  test('measure: an authenticated TLS request, and the RSS of Prometheus', async () => {
    const { Agent } = await import('node:https');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const u = url(() => queue, QUEUE_IP, '/-/healthy');
    const time = async (n: number, a?: unknown) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++)
        assert.equal((await get(u, ca.certPem, `${USER}:${PASSWORD}`, a)).status, 200);
      return Number(process.hrtime.bigint() - t0) / 1e6 / n;
    };
    await time(5, agent);
    const keepAlive = await time(200, agent);
    const fresh = await time(50);
    agent.destroy();
    const rss = [rssKb(queue.pid), rssKb(manager.pid)].map((k) => Math.round(k / 1024));
    console.log(
      `# monitoring measurement: /monitoring/-/healthy with TLS + bcrypt basic auth: ${keepAlive.toFixed(2)} ms per request on a kept-alive connection, ${fresh.toFixed(2)} ms with a new TLS connection each; Prometheus RSS ${rss[0]} MB (queue node) / ${rss[1]} MB (manager)`,
    );
    assert.ok(keepAlive < 50, 'the bcrypt check is cached: no 50 ms hash per request');
  });
});
