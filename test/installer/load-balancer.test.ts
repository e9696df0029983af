// load_balancer_service: the section's checks, haproxy.cfg rendered from a config.yaml, then the real
// haproxy (child process, master-worker mode, free loopback ports) in front of three real
// `cfy_manager serve` managers with the TLS front: the 401 health check, 80 -> 443, stickiness, a
// graceful reload with a changed manager list, and the failover of a SIGKILLed manager.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { componentByName, componentsFor } from '../../src/installer/components/index.js';
import {
  reloadAndConfirm,
  validateLoadBalancer,
  writeChecked,
} from '../../src/installer/components/load-balancer/component.js';
import {
  PRODUCTION_LAYOUT,
  renderHaproxyConfig,
  sectionProblems,
} from '../../src/installer/components/load-balancer/render.js';
import {
  type ServerStat,
  serverStats,
  stickTable,
} from '../../src/installer/components/load-balancer/runtime.js';
import { COMPONENT_ORDER } from '../../src/installer/components/order.js';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import { errorLine, ValidationError } from '../../src/installer/errors.js';
import { peerCert, ROOT } from '../entry/tls-helpers.js';
import { freePort } from '../helpers/postgres.js';
import {
  type Backend,
  type BackendPorts,
  get,
  type Lb,
  type LbCerts,
  lbConfig,
  MANAGER_IPS,
  makeLbCerts,
  measureGap,
  PASSWORD,
  startBackend,
  startLb,
  stopProc,
  testLayout,
} from './lb-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-lb-'));
after(() => rmSync(work, { recursive: true, force: true }));

const NAMES = ['manager1', 'manager2', 'manager3'];
const CFY = join(ROOT, 'bin/cfy');
const all = Object.fromEntries(NAMES.map((n, i) => [n, MANAGER_IPS[i]!]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The whole config of an LB node from a config.yaml text (defaults, merge, schema). */
function nodeConfig(yaml: string) {
  return finishConfig(deepMerge(packagedDefaults(), parse(yaml)), ['/etc/cloudify/config.yaml']);
}

async function validationLine(p: Promise<void>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
  return errorLine(err);
}

describe('load balancer: config and rendering', () => {
  let certs: LbCerts;
  before(async () => {
    certs = await makeLbCerts(join(work, 'certs-static'));
  });
  const yamlFor = (managers: string, extra = '') =>
    `manager: {private_ip: 10.0.0.9, public_ip: 10.0.0.9}\nload_balancer:\n  managers: ${managers}\n  cert_path: ${certs.lbCert}\n  key_path: ${certs.lbKey}\n  ca_path: ${certs.ca}\nservices_to_install: [load_balancer_service${extra}]\n`;

  test('the service, its component and its place in the order', () => {
    const config = nodeConfig(yamlFor('{manager1: {ip: 10.0.0.1}}'));
    assert.deepEqual(
      componentsFor(config).map((c) => c.name),
      ['loadbalancer'],
    );
    assert.equal(componentByName('load_balancer')?.service, 'load_balancer_service');
    assert.equal(COMPONENT_ORDER.indexOf('loadbalancer') + 1, COMPONENT_ORDER.indexOf('prometheus'));
    assert.deepEqual(config.load_balancer.health_check, { interval_ms: 1000, fall: 2, rise: 2 });
  });

  test('haproxy.cfg rendered from config.yaml has the guide behaviour', () => {
    const config = nodeConfig(yamlFor('{manager1: {ip: 10.0.0.1}, manager2: {ip: 10.0.0.2}}'));
    const cfg = renderHaproxyConfig(config.load_balancer, PRODUCTION_LAYOUT);
    const has = (line: string) => assert.ok(cfg.includes(`\n    ${line}\n`), `missing: ${line}\n${cfg}`);
    has('bind :80');
    has('http-request redirect scheme https code 308');
    has('bind :443 ssl crt /etc/haproxy/cloudify/cert.pem');
    has('bind :53333 ssl crt /etc/haproxy/cloudify/cert.pem');
    has('stick on src');
    has('option httpchk GET /api/v3.1/status');
    has('http-check expect status 401');
    has('default-server inter 1000ms fall 2 rise 2 on-marked-down shutdown-sessions');
    const tls = 'maxconn 100 ssl verify required ca-file /etc/haproxy/cloudify/ca.crt';
    has(`server manager1 10.0.0.1:443 ${tls} check check-ssl`);
    has(`server manager2 10.0.0.2:443 ${tls} check check-ssl`);
    has(`server manager1 10.0.0.1:53333 ${tls} track managers/manager1`);
    has('option redispatch 1');
    has('stats socket /run/cloudify-haproxy/admin.sock mode 600 level admin');
  });

  test('no managers: one line naming the problem and the fix', async () => {
    const config = nodeConfig(yamlFor('{}'));
    const problems = sectionProblems(config.load_balancer);
    assert.equal(problems.length, 1);
    const line = await validationLine(validateLoadBalancer(config));
    assert.equal(line.split('\n').length, 1, line);
    assert.match(
      line,
      /names no managers: add each manager node as `<name>: \{ip: <address>\}` under load_balancer\.managers/,
    );
  });

  test('bad names, addresses and missing paths are named with their fix', () => {
    const config = nodeConfig(
      yamlFor('{"bad name": {ip: 10.0.0.1}, m2: {ip: "not an ip!"}, m3: {ip: 10.0.0.1}}'),
    );
    config.load_balancer.ca_path = '';
    const problems = sectionProblems(config.load_balancer);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems[0]!, /'bad name' is not a usable name/);
    assert.match(problems[1]!, /m2\.ip 'not an ip!' is not an address: set it/);
    assert.match(problems[2]!, /bad name and m3 have the same ip 10\.0\.0\.1/);
    assert.match(problems[3]!, /load_balancer\.ca_path is not set/);
  });

  test('the certificate must be signed by the CA and match its key; no manager_service beside it', async () => {
    const other = await generateCa();
    const stranger = await generateLeaf('127.0.0.1', ['127.0.0.1'], other);
    const dir = join(work, 'bad-certs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stranger.crt'), stranger.certPem);
    writeFileSync(join(dir, 'stranger.key'), stranger.keyPem);
    const config = nodeConfig(yamlFor('{manager1: {ip: 10.0.0.1}}'));
    config.load_balancer.cert_path = join(dir, 'stranger.crt');
    config.load_balancer.key_path = join(dir, 'stranger.key');
    assert.match(await validationLine(validateLoadBalancer(config)), /was not signed by provided CA/);
    config.load_balancer.key_path = certs.lbKey;
    assert.match(await validationLine(validateLoadBalancer(config)), /does not match the cert/);
    const both = nodeConfig(yamlFor('{manager1: {ip: 10.0.0.1}}', ', manager_service'));
    assert.match(
      await validationLine(validateLoadBalancer(both)),
      /cannot share a node with manager_service/,
    );
    await validateLoadBalancer(nodeConfig(yamlFor('{manager1: {ip: 10.0.0.1}}')));
  });

  test('files: cert.pem is cert + key 0400; a config HAProxy refuses replaces nothing', async () => {
    const dir = join(work, 'files');
    mkdirSync(dir, { recursive: true });
    const layout = await testLayout(dir, { https: 443, agents: 53333, http: 80 });
    const cfgFile = join(dir, 'haproxy.cfg');
    const good = lbConfig(dir, certs, { manager1: '10.0.0.1' });
    await writeChecked(good, layout, cfgFile);
    const pem = readFileSync(layout.certPem, 'utf8');
    const nl = (f: string) => `${readFileSync(f, 'utf8').trimEnd()}\n`;
    assert.equal(pem, nl(certs.lbCert) + nl(certs.lbKey));
    assert.equal(statSync(layout.certPem).mode & 0o777, 0o400);
    const before = readFileSync(cfgFile, 'utf8');
    const bad = lbConfig(dir, certs, { manager1: 'no-such-host.invalid' });
    const line = await validationLine(writeChecked(bad, layout, cfgFile));
    assert.match(
      line,
      /^ValidationError: HAProxy refused the load balancer configuration \(.*no-such-host\.invalid/,
    );
    assert.equal(line.split('\n').length, 1);
    assert.equal(readFileSync(cfgFile, 'utf8'), before);
    assert.equal(readFileSync(layout.certPem, 'utf8'), pem);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.new')),
      [],
    );
  });
});

describe('load balancer: real haproxy in front of three managers', () => {
  let certs: LbCerts;
  let ca: Buffer;
  let ports: BackendPorts;
  const backends: Backend[] = [];
  let lb: Lb;
  let dir: string;

  const stats = async (): Promise<ServerStat[]> =>
    (await serverStats(lb.layout.statsSocket)).filter((s) => s.backend === 'managers');
  async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + ms;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      await sleep(100);
    }
    throw new Error(
      `${what} not within ${ms} ms (${String(last ?? '')}): ${JSON.stringify(await stats().catch(() => []))}`,
    );
  }
  const start = (i: number) => startBackend(NAMES[i]!, MANAGER_IPS[i]!, ports, certs, join(work, `data${i}`));
  /** The manager this client (127.0.0.1) sticks to. */
  async function stickyServer(): Promise<string> {
    const sid = (await stickTable(lb.layout.statsSocket, 'managers')).get('127.0.0.1');
    assert.ok(sid, 'no stickiness entry for 127.0.0.1');
    return (await stats()).find((s) => s.id === sid)!.server;
  }

  before(async () => {
    certs = await makeLbCerts(join(work, 'certs'));
    ca = readFileSync(certs.ca);
    ports = { https: await freePort(), agents: await freePort(), http: await freePort() };
    for (let i = 0; i < 3; i++) backends.push(await start(i));
    dir = join(work, 'lb');
    mkdirSync(dir, { recursive: true });
    const layout = await testLayout(dir, ports);
    lb = await startLb(dir, lbConfig(dir, certs, all), layout);
  });
  after(async () => {
    await stopProc(lb?.proc);
    for (const b of backends) await stopProc(b.proc);
  });

  test('health check: GET /api/v3.1/status over verified TLS, 401 means up', async () => {
    const up = await until('all managers up', 15_000, async () => {
      const s = await stats();
      return s.length === 3 && s.every((x) => x.status === 'UP' && x.checkStatus === 'L7OK') ? s : undefined;
    });
    assert.deepEqual(
      up.map((s) => [s.server, s.checkCode]),
      NAMES.map((n) => [n, '401']),
    );
    const agents = (await serverStats(lb.layout.statsSocket)).filter((s) => s.backend === 'agents');
    assert.deepEqual(
      agents.map((s) => [s.server, s.status]),
      NAMES.map((n) => [n, 'UP']),
    );
  });

  test('443 and 53333 serve the LB certificate and re-encrypt to the managers', async () => {
    const lbCert = new X509Certificate(readFileSync(certs.lbCert));
    for (const port of [lb.layout.ports.https, lb.layout.ports.agents]) {
      const { cert } = await peerCert(port, { ca, servername: 'localhost' });
      assert.equal(cert.fingerprint256, lbCert.fingerprint256);
      assert.equal((await get(port, '/api/v3.1/status', ca)).status, 401);
    }
    const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
    const headers = { authorization: auth, tenant: 'default_tenant' };
    const authed = (await get(lb.layout.ports.https, '/api/v3.1/status', ca, 5000, headers)).status;
    assert.equal(authed, 200);
  });

  test('port 80 redirects to https', async () => {
    const host = { host: 'lb.stratus.test' };
    const a = await get(lb.layout.ports.http, '/api/v3.1/status?x=1', undefined, 5000, host);
    const answer = { status: a.status, location: a.headers.location };
    assert.deepEqual(answer, { status: 308, location: 'https://lb.stratus.test/api/v3.1/status?x=1' });
  });

  test('cfy profiles use through the balancer, then a listing', () => {
    const env = { ...process.env, CFY_WORKDIR: join(work, 'cfy-home'), CLOUDIFY_PASSWORD: PASSWORD };
    mkdirSync(env.CFY_WORKDIR, { recursive: true });
    const port = String(lb.layout.ports.https);
    const use = ['profiles', 'use', '127.0.0.1', '--ssl', '--rest-port', port, '-u', 'admin'];
    const run = (args: string[]) => spawnSync(CFY, args, { env, encoding: 'utf8', timeout: 60_000 });
    const r = run([...use, '-t', 'default_tenant', '-c', certs.ca]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const list = run(['blueprints', 'list']);
    assert.equal(list.status, 0, list.stdout + list.stderr);
  });

  test('stick on src: every new connection from one client goes to the same manager', async () => {
    await get(lb.layout.ports.https, '/api/v3.1/status', ca);
    const sticky = await stickyServer();
    const before = new Map((await stats()).map((s) => [s.server, s.sessions]));
    for (let i = 0; i < 12; i++)
      assert.equal((await get(lb.layout.ports.https, '/api/v3.1/status', ca)).status, 401);
    const delta = (await stats()).map((s) => [s.server, s.sessions - before.get(s.server)!]);
    assert.deepEqual(
      delta,
      NAMES.map((n) => [n, n === sticky ? 12 : 0]),
    );
  });

  test('configure with a changed manager list: graceful reload, the running request is kept', async () => {
    const port = lb.layout.ports.https;
    // A request in flight: headers sent, the body not yet complete.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/api/v3.1/status', method: 'POST', ca, agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.setHeader('content-length', 4);
      req.on('error', reject);
      req.write('ab');
      setTimeout(() => req.end('cd'), 3000);
    });
    // Fresh connections keep being answered during the reload.
    let looping = true;
    let failed = 0;
    let answered = 0;
    const loop = (async () => {
      while (looping) {
        const ok = await get(port, '/api/v3.1/status', ca).then(
          (a) => a.status === 401,
          () => false,
        );
        if (ok) answered++;
        else failed++;
      }
    })();
    try {
      await sleep(300);
      const two = lbConfig(dir, certs, { manager1: MANAGER_IPS[0]!, manager2: MANAGER_IPS[1]! });
      await writeChecked(two, lb.layout, lb.cfgFile);
      await reloadAndConfirm(lb.masterSocket, async () => {
        lb.proc.kill('SIGUSR2');
      });
      await sleep(500);
    } finally {
      looping = false;
      await loop;
    }
    assert.equal(failed, 0, `${failed} of ${failed + answered} requests failed during the reload`);
    assert.ok((await inFlight) > 0, 'the request in flight got no answer');
    assert.deepEqual(
      (await stats()).map((s) => s.server),
      ['manager1', 'manager2'],
    );
    // And back to three: manager3 rejoins the pool once its checks pass.
    await writeChecked(lbConfig(dir, certs, all), lb.layout, lb.cfgFile);
    await reloadAndConfirm(lb.masterSocket, async () => {
      lb.proc.kill('SIGUSR2');
    });
    await until('three managers up after the reload', 15_000, async () => {
      const s = await stats();
      return s.length === 3 && s.every((x) => x.status === 'UP') ? s : undefined;
    });
  });

  test('failover: the SIGKILLed manager leaves the pool, its clients move at once', async () => {
    const port = lb.layout.ports.https;
    await get(port, '/api/v3.1/status', ca);
    const victim = await stickyServer();
    const i = NAMES.indexOf(victim);
    const t0 = Date.now();
    const gap = await measureGap(port, ca, () => backends[i]!.proc.kill('SIGKILL'), 500, 4000);
    assert.ok(gap.longestGapMs < 2000, `longest gap ${gap.longestGapMs} ms`);
    assert.ok(gap.failures <= 1, `${gap.failures} of ${gap.requests} requests failed`);
    const down = await until('the killed manager marked DOWN', 8000, async () =>
      (await stats()).find((s) => s.server === victim && s.status === 'DOWN'),
    );
    assert.match(down.checkStatus, /^L4CON|^L6RSP|^L4TOUT/);
    assert.ok(Date.now() - t0 < 8000);
    const now = await stickyServer();
    assert.notEqual(now, victim);
    assert.equal((await get(port, '/api/v3.1/status', ca)).status, 401);
    // Back: the restarted manager is UP again after `rise` good checks.
    await stopProc(backends[i]!.proc);
    backends[i] = await start(i);
    await until('the restarted manager back UP', 15_000, async () =>
      (await stats()).find((s) => s.server === victim && s.status === 'UP'),
    );
  });
});
