// `cfy cluster status` as a child process against manager processes (`cfy_manager serve`): 5.1's lines
// and table, --json, exit 0 whatever the status, the manager that answered after a failover, and, with
// --prometheus-url, the services a REAL Prometheus reported (TLS, basic auth from the environment).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/postgres.js';
import {
  type Exporter,
  prometheusUnavailable,
  startExporter,
  startPrometheus,
  type TestPrometheus,
} from '../helpers/prometheus.js';
import {
  ADMIN_PASSWORD,
  type Cfy,
  json,
  makeCfy,
  type ManagerProcess,
  startManager,
  useArgs,
} from './helpers.js';

const AIO_WARNING = 'You are trying to run cluster related commands on an all-in-one Cloudify Manager!';

describe('cfy cluster status, manager without Prometheus', () => {
  let m: ManagerProcess;
  const cfy: Cfy = makeCfy();
  const ctxFile = () => join(cfy.workdir, '.cloudify/profiles/127.0.0.1/context.json');
  const editProfile = (f: (p: any) => void) => {
    const p = JSON.parse(readFileSync(ctxFile(), 'utf8'));
    f(p);
    writeFileSync(ctxFile(), JSON.stringify(p, null, 2));
  };
  before(async () => {
    m = await startManager({ env: { STRATUS_HOSTNAME: 'mgr-cli' } });
    const use = await cfy(useArgs(m.port));
    assert.equal(use.code, 0, use.stderr);
  });
  after(async () => {
    await m?.stop();
    cfy.cleanup();
  });

  test('the lines and the table of 5.1; --json is the whole document', async () => {
    const r = await cfy(['cluster', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.trim(), AIO_WARNING);
    const table = [
      '+--------------------------------+--------+',
      '|            service             | status |',
      '+--------------------------------+--------+',
      '| broker                         | OK     |',
      '| db                             | OK     |',
      '| manager                        | OK     |',
      '+--------------------------------+--------+',
    ].join('\n');
    assert.equal(
      r.stdout,
      `Retrieving Cloudify cluster status... [ip=127.0.0.1]\nCurrent cluster status is OK:\n\nCluster status services:\n${table}\n`,
    );
    const j = await cfy(['cluster', 'status', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const doc = json(j);
    assert.equal(doc.status, 'OK');
    const node = doc.services.manager.nodes['mgr-cli'];
    assert.equal(node.status, 'OK');
    assert.equal(node.services['Manager REST'].status, 'Active');
    assert.match(node.services['Manager REST'].extra_info.self_check.note, /No Prometheus is configured/);
    assert.deepEqual(node.metrics, []);
    assert.match(j.stderr, /Retrieving Cloudify cluster status\.\.\. \[ip=127\.0\.0\.1\]/);
  });

  test('a Fail cluster still exits 0, as in 5.1, with the failure in --json', async () => {
    const closed = await freePort();
    const add = await cfy(['cluster', 'brokers', 'add', 'rabbit-x', '127.0.0.1', '--port', String(closed)]);
    assert.equal(add.code, 0, add.stderr);
    const r = await cfy(['cluster', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Current cluster status is Fail:$/m);
    assert.match(r.stdout, /^\| broker {25}\| Fail {3}\|$/m);
    const doc = json(await cfy(['cluster', 'status', '--json']));
    assert.equal(doc.services.broker.status, 'Fail');
    assert.match(
      doc.services.broker.nodes['rabbit-x'].failures[0],
      new RegExp(`^Service RabbitMQ not active on 127\\.0\\.0\\.1:${closed}: `),
    );
  });

  test('a cluster profile names the manager that answered when the first is down', async () => {
    const dead = await freePort();
    editProfile((p) => {
      p.rest_port = dead;
      p.cluster = {
        manager: [
          { hostname: 'mgr-dead', host_ip: '127.0.0.1', host_type: 'manager', rest_port: dead },
          { hostname: 'mgr-cli', host_ip: '127.0.0.1', host_type: 'manager', rest_port: m.port },
        ],
      };
    });
    const r = await cfy(['cluster', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Retrieving Cloudify cluster status\.\.\. \[ip=127\.0\.0\.1\]$/m);
    assert.match(
      r.stdout,
      new RegExp(`^Answered by manager mgr-cli \\(127\\.0\\.0\\.1:${m.port}\\)\\.$`, 'm'),
    );

    // No manager answers: the command fails as every command does (exit 3), without a stack trace.
    editProfile((p) => {
      p.last_good_manager = null;
      for (const e of p.cluster.manager) e.rest_port = dead;
    });
    const off = await cfy(['cluster', 'status']);
    assert.equal(off.code, 3, off.stdout + off.stderr);
    assert.match(off.stderr, /^All cluster nodes are offline/);
    assert.doesNotMatch(off.stderr, /^\s+at /m, 'no stack trace');
    // Refused credentials: exit 4 (the first request of the command, /managers, is refused).
    editProfile((p) => {
      p.rest_port = m.port;
      p.cluster = {};
      p.last_good_manager = null;
      p.manager_password = 'wrong-password';
    });
    const bad = await cfy(['cluster', 'status']);
    assert.equal(bad.code, 4, bad.stderr);
    assert.doesNotMatch(bad.stderr, /^\s+at /m, 'no stack trace');
    // Each refused attempt is one failed login (the account locks at 4): two leave it usable.
    assert.equal((await cfy(['cluster', 'status'])).code, 4);
    editProfile((p) => {
      p.manager_password = ADMIN_PASSWORD;
    });
    const good = await cfy(['cluster', 'status']);
    assert.equal(good.code, 0, good.stderr);
  });
});

const reason = prometheusUnavailable();
const skip = reason && process.env.CI !== 'true' ? reason : false;

describe('cfy cluster status, manager with --prometheus-url', { skip }, () => {
  const IP = '10.9.1.1';
  let prom: TestPrometheus;
  let m: ManagerProcess;
  const exporters: Exporter[] = [];
  const cfy: Cfy = makeCfy();
  before(async () => {
    if (reason) throw new Error(reason);
    const blackbox = await startExporter('probe_success 1\n');
    const node = await startExporter(
      'node_supervisord_up{name="cloudify-restservice"} 1\nnode_supervisord_up{name="cloudify-mgmtworker"} 1\n',
    );
    exporters.push(blackbox, node);
    prom = await startPrometheus({
      rules: `groups:
  - name: manager
    rules:
      - record: manager_healthy
        expr: count by (host, monitor) (sum by (host, monitor) (probe_success{job="http_200"}) == 1)
      - record: manager_service
        expr: sum by (host, name) (node_supervisord_up)
        labels: {process_manager: supervisord}
`,
      jobs: [
        { job: 'http_200', targets: [{ port: blackbox.port, host: IP }] },
        { job: 'node', targets: [{ port: node.port, host: IP }] },
      ],
    });
    m = await startManager({
      args: ['--prometheus-url', prom.url, '--prometheus-ca', prom.caPath],
      env: {
        STRATUS_HOSTNAME: 'mgr-prom',
        STRATUS_PRIVATE_IP: IP,
        STRATUS_PROMETHEUS_USER: prom.username,
        STRATUS_PROMETHEUS_PASSWORD: prom.password,
      },
    });
    assert.equal((await cfy(useArgs(m.port))).code, 0);
  });
  after(async () => {
    await m?.stop();
    await prom?.stop();
    for (const e of exporters) await e.stop();
    cfy.cleanup();
  });

  test('--json carries what Prometheus reported for the manager', async () => {
    const deadline = Date.now() + 25_000;
    let doc: any;
    for (;;) {
      const r = await cfy(['cluster', 'status', '--json']);
      assert.equal(r.code, 0, r.stderr);
      doc = json(r);
      if (doc.status === 'OK' || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    assert.equal(doc.status, 'OK', JSON.stringify(doc));
    const node = doc.services.manager.nodes['mgr-prom'];
    assert.equal(node.private_ip, IP);
    assert.deepEqual(Object.keys(node.services).sort(), ['Management Worker', 'Manager REST']);
    assert.equal(node.services['Manager REST'].extra_info.supervisord.unit_id, 'cloudify-restservice');
    assert.equal(node.metrics[0].metric_name, `http endpoints on ${IP}`);
    assert.ok(!m.logs().includes(prom.password), 'the Prometheus password is not logged');
  });
});
