// GET /cluster-status from a REAL Prometheus (TLS with a CA made here, bcrypt basic auth, /monitoring
// prefix, 1 s scrapes) that scrapes small exporters of this test and evaluates recording rules that
// mirror the installer's (cfy_manager.md §7.4). The manager is in-process on the embedded database,
// with config.prometheus pointing at it; the nodes are registered rows whose private IPs are the
// exporters' `host` labels. Stopping an exporter is what takes a node down.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openEmbedded } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { registerBrokersAndDbNodes } from '../../src/store/repositories/cluster-setup.js';
import type { DriverFixture } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';
import { freePort } from '../helpers/postgres.js';
import {
  type Exporter,
  prometheusUnavailable,
  startExporter,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus.js';

const A = '/api/v3.1';
const MGR = '10.9.0.1';
const DBS = ['10.9.0.11', '10.9.0.12', '10.9.0.13'];
const RABBIT = '10.9.0.21';

const RULES = `groups:
  - name: manager
    rules:
      - record: manager_healthy
        expr: count by (host, monitor) (sum by (host, monitor) (probe_success{job="http_200"}) == 1)
      - record: manager_service
        expr: sum by (host, name) (node_supervisord_up{name=~"cloudify-restservice|cloudify-mgmtworker|nginx|node_exporter|prometheus|blackbox_exporter"})
        labels: {process_manager: supervisord}
  - name: postgres
    rules:
      - record: postgres_healthy
        expr: pg_up{job="postgresql"} == 1 and up{job="postgresql"} == 1
      - record: postgres_service
        expr: sum by (host, name) (node_supervisord_up{name=~"etcd|patroni|node_exporter|postgres_exporter"})
        labels: {process_manager: supervisord}
  - name: rabbitmq
    rules:
      - record: rabbitmq_healthy
        expr: sum by (host, instance, job, monitor) (up{job="rabbitmq"}) == 1
      - record: rabbitmq_service
        expr: sum by (host, name) (node_supervisord_up{name=~"node_exporter|cloudify-rabbitmq"})
        labels: {process_manager: supervisord}
`;

const units = (up: Record<string, number>) =>
  `${Object.entries(up)
    .map(([name, v]) => `node_supervisord_up{name="${name}"} ${v}`)
    .join('\n')}\n`;
const RABBIT_UNITS = { 'cloudify-rabbitmq': 1, node_exporter: 1 };

const reason = prometheusUnavailable();
// Under CI the suite runs and fails with the reason; elsewhere it is skipped with it.
const skip = reason && process.env.CI !== 'true' ? reason : false;

describe('cluster-status from a real Prometheus', { skip, timeout: 180_000 }, () => {
  let prom: TestPrometheus;
  let m: TestManager;
  let db: Db;
  let dataDir: string;
  const pg: Exporter[] = [];
  const others: Exporter[] = [];
  let rabbitNode: Exporter;

  const status = async (summary = false) => {
    const r = await m.call({ method: 'GET', url: `${A}/cluster-status${summary ? '?summary=true' : ''}` });
    return { code: r.statusCode, body: r.json(), raw: r.body };
  };
  /** Polls until `ok(body)` (Prometheus needs a scrape and an evaluation to see a change). */
  const until = async (what: string, ok: (b: any) => boolean, ms = 25_000) => {
    const deadline = Date.now() + ms;
    let last: unknown;
    for (;;) {
      const { body } = await status();
      if (ok(body)) return body;
      last = body;
      if (Date.now() > deadline)
        throw new Error(`${what}: not reached within ${ms} ms; last answer ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  before(async () => {
    if (reason) throw new Error(reason);
    const blackbox = await startExporter('probe_success 1\n');
    const mgrNode = await startExporter(
      units({
        'cloudify-restservice': 1,
        'cloudify-mgmtworker': 1,
        nginx: 1,
        node_exporter: 1,
        prometheus: 1,
      }),
    );
    const dbNodes = [];
    for (let i = 0; i < DBS.length; i++) {
      pg.push(await startExporter('pg_up 1\n'));
      dbNodes.push(
        await startExporter(units({ etcd: 1, patroni: 1, postgres_exporter: 1, node_exporter: 1 })),
      );
    }
    const rabbit = await startExporter('rabbitmq_identity_info{rabbitmq_node="rabbit@q1"} 1\n');
    rabbitNode = await startExporter(units(RABBIT_UNITS));
    others.push(blackbox, mgrNode, ...dbNodes, rabbit, rabbitNode);
    prom = await startPrometheus({
      rules: RULES,
      jobs: [
        { job: 'http_200', targets: [{ port: blackbox.port, host: MGR }] },
        {
          job: 'node',
          targets: [
            { port: mgrNode.port, host: MGR },
            ...dbNodes.map((e, i) => ({ port: e.port, host: DBS[i]! })),
            { port: rabbitNode.port, host: RABBIT },
          ],
        },
        { job: 'postgresql', targets: pg.map((e, i) => ({ port: e.port, host: DBS[i]! })) },
        { job: 'rabbitmq', targets: [{ port: rabbit.port, host: RABBIT }] },
      ],
    });
    dataDir = mkdtempSync(join(tmpdir(), 'stratus-pglite-'));
    db = await openEmbedded(dataDir);
    await migrate(db);
    const fx: DriverFixture = { name: 'embedded', open: async () => db, lastLocation: () => ({ dataDir }) };
    const { url, caPath, username, password } = prom;
    m = await startTestManager(fx, {
      hostname: 'mgr-1',
      privateIp: MGR,
      publicIp: '192.0.2.1',
      prometheus: { url, caPath, username, password },
    });
    await registerBrokersAndDbNodes(db, {
      brokers: [{ name: 'rabbit-1', host: RABBIT, port: 5671, networks: { default: RABBIT } }],
      brokerCaCert: 'unused',
      brokersExternal: false,
      dbNodes: DBS.map((host, i) => ({ name: `db-${i + 1}`, host, is_external: false })),
    });
  });
  after(async () => {
    await m?.close();
    await db?.close().catch(() => {});
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await prom?.stop();
    for (const e of [...pg, ...others]) await e.stop();
  });

  test('every node healthy: OK, with the services and metrics Prometheus reported', async () => {
    // OK can come before every service's series is in (a rule group evaluated before the first scrape
    // of a target under load, while another group's rule already reports that host's node_exporter):
    // wait for every node's services as well.
    const count = (b: any, type: string, node: string) =>
      Object.keys(b.services[type]?.nodes?.[node]?.services ?? {}).length;
    const body = await until(
      'all OK with every service',
      (b) =>
        b.status === 'OK' &&
        count(b, 'manager', 'mgr-1') === 5 &&
        count(b, 'broker', 'rabbit-1') === 2 &&
        DBS.every((_, i) => count(b, 'db', `db-${i + 1}`) === 4),
    );
    assert.deepEqual(Object.keys(body.services).sort(), ['broker', 'db', 'manager']);
    const mgr = body.services.manager.nodes['mgr-1'];
    assert.equal(mgr.status, 'OK');
    assert.deepEqual(mgr.failures, []);
    assert.equal(mgr.private_ip, MGR);
    assert.equal(mgr.public_ip, '192.0.2.1');
    assert.equal(mgr.version, '5.1.2');
    assert.deepEqual(Object.keys(mgr.services).sort(), [
      'Management Worker',
      'Manager REST',
      'Node Exporter',
      'Prometheus',
      'Webserver',
    ]);
    assert.deepEqual(mgr.services['Manager REST'], {
      status: 'Active',
      extra_info: {
        supervisord: {
          instances: [{ Description: 'REST API service', state: 'running', Id: 'cloudify-restservice' }],
          display_name: 'Manager REST',
          unit_id: 'cloudify-restservice',
        },
      },
    });
    assert.equal(mgr.metrics.length, 1);
    assert.equal(mgr.metrics[0].metric_type, 'manager_healthy');
    assert.equal(mgr.metrics[0].metric_name, `http endpoints on ${MGR}`);
    assert.equal(mgr.metrics[0].healthy, true);
    assert.match(mgr.metrics[0].last_check, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(Math.abs(Date.parse(mgr.metrics[0].last_check) - Date.now()) < 60_000);

    const db1 = body.services.db.nodes['db-1'];
    assert.equal(db1.private_ip, DBS[0]);
    assert.equal(db1.public_ip, null);
    assert.deepEqual(Object.keys(db1.services).sort(), [
      'Etcd key-value store',
      'Node Exporter',
      'Patroni HA Template',
      'Prometheus exporter for PostgreSQL',
    ]);
    assert.equal(db1.metrics[0].metric_type, 'postgres_healthy');
    assert.equal(db1.metrics[0].metric_name, `postgresql (127.0.0.1:${pg[0]!.port}) on ${DBS[0]}`);
    const rabbit = body.services.broker.nodes['rabbit-1'];
    assert.deepEqual(Object.keys(rabbit.services).sort(), ['Node Exporter', 'RabbitMQ Broker']);
    assert.equal(rabbit.metrics[0].metric_type, 'rabbitmq_healthy');
    assert.match(
      rabbit.metrics[0].metric_name,
      new RegExp(`^rabbitmq \\(127\\.0\\.0\\.1:\\d+\\) on ${RABBIT}$`),
    );
    assert.deepEqual(await status(true), {
      code: 200,
      body: { status: 'OK', services: {} },
      raw: '{"status":"OK","services":{}}',
    });
  });

  test('one DB exporter stopped: that node Fail, db Degraded; two of three: db Fail, summary 500', async () => {
    await pg[1]!.stop();
    const deg = await until('db Degraded', (b) => b.services.db.status === 'Degraded');
    assert.equal(deg.status, 'Degraded');
    assert.equal(deg.services.db.nodes['db-2'].status, 'Fail');
    assert.deepEqual(deg.services.db.nodes['db-2'].failures, ['No metrics']);
    assert.equal(deg.services.db.nodes['db-1'].status, 'OK');
    assert.equal((await status(true)).code, 200);

    await pg[2]!.stop();
    const fail = await until('db Fail', (b) => b.services.db.status === 'Fail');
    assert.equal(fail.status, 'Fail');
    assert.equal(fail.services.db.nodes['db-3'].status, 'Fail');
    assert.equal(fail.services.manager.status, 'OK');
    const sum = await status(true);
    assert.equal(sum.code, 500);
    assert.deepEqual(sum.body, { status: 'Fail', services: {} });
    const full = await status();
    assert.equal(full.code, 200, 'the detailed answer is 200 whatever the status');

    await pg[1]!.start();
    await pg[2]!.start();
    await until('db OK again', (b) => b.services.db.status === 'OK');
  });

  test('a stopped unit: the service Inactive with its reason; an external broker is OK', async () => {
    rabbitNode.set(units({ ...RABBIT_UNITS, 'cloudify-rabbitmq': 0 }));
    const b = await until('broker Fail', (x) => x.services.broker.status === 'Fail');
    const node = b.services.broker.nodes['rabbit-1'];
    assert.equal(node.services['RabbitMQ Broker'].status, 'Inactive');
    assert.equal(node.services['RabbitMQ Broker'].extra_info.supervisord.instances[0].state, 'stopped');
    assert.deepEqual(node.failures, ['Service RabbitMQ Broker not active.']);

    await db.query('UPDATE rabbitmq_brokers SET is_external = true');
    const ext = await status();
    assert.deepEqual(ext.body.services.broker, { is_external: true, status: 'OK' });
    await db.query('UPDATE rabbitmq_brokers SET is_external = false');
    rabbitNode.set(units(RABBIT_UNITS));
    await until('all OK again', (x) => x.status === 'OK');
  });

  test('Prometheus refusing the password, unreachable, or silent: a Fail answer that says so', async () => {
    const good = m.ctx.config.prometheus!;
    const check = async (what: RegExp, maxMs: number) => {
      const t0 = Date.now();
      const r = await status();
      const ms = Date.now() - t0;
      assert.equal(r.code, 200);
      assert.equal(r.body.status, 'Fail');
      assert.ok(ms < maxMs, `answered in ${ms} ms`);
      assert.ok(!r.raw.includes(good.password), 'no password in the answer');
      assert.ok(!/at .*\.(ts|js):\d+/.test(r.raw), 'no stack trace');
      for (const type of ['manager', 'db', 'broker']) {
        assert.equal(r.body.services[type].status, 'Fail');
        for (const n of Object.values<any>(r.body.services[type].nodes)) {
          assert.equal(n.status, 'Fail');
          assert.match(n.failures[0], what);
          assert.deepEqual(n.failures.slice(1), ['No services.', 'No metrics']);
        }
      }
      const sum = await status(true);
      assert.equal(sum.code, 500);
      assert.deepEqual(sum.body, { status: 'Fail', services: {} });
    };
    const at = (url: string) => `^Could not query Prometheus at ${url.replace(/[.]/g, '\\.')}: `;
    try {
      m.ctx.config.prometheus = { ...good, password: 'wrong-password' };
      await check(new RegExp(`${at(good.url)}HTTP 401: the monitoring credentials were refused`), 5000);

      const closed = await freePort();
      const deadUrl = `https://127.0.0.1:${closed}/monitoring`;
      m.ctx.config.prometheus = { ...good, url: deadUrl };
      await check(new RegExp(`${at(deadUrl)}.*ECONNREFUSED`), 5000);

      // Accepts connections and never answers: the 4 s bound holds.
      const sockets: Socket[] = [];
      const silent: Server = createServer((s) => sockets.push(s));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const silentUrl = `https://127.0.0.1:${(silent.address() as { port: number }).port}/monitoring`;
      m.ctx.config.prometheus = { ...good, url: silentUrl };
      try {
        await check(new RegExp(`${at(silentUrl)}no answer within 4000 ms\\.$`), 7000);
      } finally {
        for (const s of sockets) s.destroy();
        silent.close();
      }

      m.ctx.config.prometheus = { ...good, caPath: join(tmpdir(), 'no-such-ca.crt') };
      await check(new RegExp(`${at(good.url)}cannot read the CA file`), 5000);
    } finally {
      m.ctx.config.prometheus = good;
    }
    assert.equal((await status()).body.status, 'OK');
  });
});
