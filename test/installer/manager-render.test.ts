// manager_service without touching the host: the guide's manager config.yaml → the supervisord programs,
// their env files, the database and broker URLs, the REST process count, the request to
// `cfy_manager manager-db`, the finish message; and the checks that run before anything changes,
// against real listeners on loopback (a closed port, a broker whose certificate another CA signed).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { generateCa, generateLeaf, type KeyAndCert } from '../../src/installer/certs/x509.js';
import { parseNetworks } from '../../src/installer/commands/manager-actions.js';
import { componentsFor } from '../../src/installer/components/index.js';
import { checkBrokers, checkDatabaseReachable } from '../../src/installer/components/manager/checks.js';
import { checkManagerCerts } from '../../src/installer/components/manager/certs.js';
import { finishMessage } from '../../src/installer/components/manager/finish.js';
import { registerRequest } from '../../src/installer/components/manager/register.js';
import {
  amqpUrl,
  dbUrl,
  envFileText,
  REST_ENV,
  renderManager,
  restWorkers,
  sourceSsl,
  WORKER_ENV,
} from '../../src/installer/components/manager/render.js';
import { portOpen } from '../../src/installer/services/https.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import { setupLogging } from '../../src/installer/log.js';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { LAB_ADMIN as ADMIN, managerDoc } from './manager-guide.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-manager-render-'));
const SELF = '10.9.0.31';

const guide = (home?: string) =>
  managerDoc({
    self: SELF,
    home,
    dbs: ['11', '12', '13'].map((n, i) => ({ name: `db${i + 1}`, ip: `10.9.0.${n}` })),
    brokers: ['21', '22', '23'].map((n, i) => ({ name: `rabbit${i + 1}`, ip: `10.9.0.${n}` })),
    loadBalancer: '10.9.0.40',
  });

function load(doc: Record<string, any>): Config {
  return deriveConfig(finishConfig(deepMerge(packagedDefaults(), doc), ['/etc/cloudify/config.yaml']));
}

before(() => setupLogging({ file: false, console: false }));
after(() => rmSync(work, { recursive: true, force: true }));

describe('manager_service config → programs, env files, URLs', () => {
  test('the guide template validates; manager_service brings the manager component in before prometheus', () => {
    const c = load(guide());
    assert.deepEqual(
      componentsFor(c).map((x) => x.name),
      ['manager', 'prometheus'],
    );
    assert.equal(c.mgmtworker.max_concurrent_workflows, 20);
    assert.equal(c.postgresql_server.ssl_enabled, true, 'a manager without a DB is forced to TLS');
    assert.equal(
      load({ ...guide(), mgmtworker: { max_concurrent_workflows: 7 } }).mgmtworker.max_concurrent_workflows,
      7,
    );
  });

  test('the database URL lists every cluster node, verify-full, the client certificate and Patroni', () => {
    const c = load(guide());
    const u = new URL(
      dbUrl(c, 'cloudify')
        .replace(/^postgres:/, 'http:')
        .replace(/@[^/]+\//, '@h/'),
    );
    assert.match(
      dbUrl(c, 'cloudify'),
      /@10\.9\.0\.11:5432,10\.9\.0\.12:5432,10\.9\.0\.13:5432\/cloudify_db\?/,
    );
    assert.equal(u.username, 'cloudify');
    assert.equal(u.searchParams.get('sslmode'), 'verify-full');
    assert.equal(u.searchParams.get('sslrootcert'), '/etc/cloudify/ssl/postgresql_ca.crt');
    assert.equal(u.searchParams.get('sslcert'), '/etc/cloudify/ssl/postgresql.crt');
    assert.equal(u.searchParams.get('sslkey'), '/etc/cloudify/ssl/postgresql.key');
    assert.equal(u.searchParams.get('patroni_port'), '8008');
    const su = dbUrl(c, 'superuser', sourceSsl(c));
    assert.match(su, new RegExp(`^postgres://postgres:${GUIDE_SECRETS.postgresPassword}@.*/postgres\\?`));
    assert.match(su, /sslrootcert=\/root\/\.cloudify-test-ca\/ca\.crt/);
  });

  test('the AMQP URL: every broker on 5671, the password URL-encoded', () => {
    const doc = guide();
    doc.rabbitmq.password = 'p@ss/w:rd';
    const c = load(doc);
    assert.equal(
      amqpUrl(c),
      'amqps://cloudify:p%40ss%2Fw%3Ard@10.9.0.21:5671,10.9.0.22:5671,10.9.0.23:5671/',
    );
  });

  test('REST processes follow §6.1: worker_count, else int(nproc × cpu_ratio) + 1, at most max_worker_count', () => {
    const c = load(guide());
    assert.equal(restWorkers(c, 2), 1);
    assert.equal(restWorkers(c, 4), 2);
    assert.equal(restWorkers(c, 8), 3);
    c.restservice.gunicorn.cpu_ratio = 2;
    assert.equal(restWorkers(c, 2), 5, "Cloudify's ratio");
    assert.equal(restWorkers(c, 16), 12, 'capped by max_worker_count');
    c.restservice.gunicorn.worker_count = 3;
    assert.equal(restWorkers(c, 16), 3);
  });

  test('programs: serve with the TLS front and the worker; secrets only in the 0600 env files', () => {
    const c = load(guide());
    const r = renderManager(c, 'c2VjcmV0cy1rZXktZm9yLXRlc3Rz', 4);
    const [rest, worker] = r.programs;
    assert.equal(rest!.name, 'cloudify-restservice');
    assert.equal(worker!.name, 'cloudify-mgmtworker');
    assert.match(rest!.command, new RegExp(`--env-file=${REST_ENV} \\S+/bin/cfy_manager serve `));
    assert.match(rest!.command, /--https-port 443 --internal-port 53333 --http-port 80/);
    assert.match(worker!.command, new RegExp(`--env-file=${WORKER_ENV} \\S+/bin/cfy_manager worker `));
    assert.match(worker!.command, /--rest-host 10\.9\.0\.31 --rest-port 53333 --concurrency 100/);
    for (const p of r.programs) {
      for (const secret of [GUIDE_SECRETS.postgresPassword, GUIDE_SECRETS.rabbitPassword, 'cloudify@', ADMIN])
        assert.ok(!p.command.includes(secret), `${p.name} argv holds no password`);
      assert.equal(p.environment, undefined, 'nothing secret in the 0644 program file');
    }
    const restEnv = r.env.find((e) => e.path === REST_ENV)!.text;
    const workerEnv = r.env.find((e) => e.path === WORKER_ENV)!.text;
    assert.match(restEnv, /^STRATUS_DB_URL='postgres:\/\/cloudify:cloudify@10\.9\.0\.11:5432,/m);
    assert.match(restEnv, /^STRATUS_AMQP_CA='\/etc\/cloudify\/ssl\/rabbitmq-ca\.pem'$/m);
    assert.match(restEnv, /^STRATUS_INTERNAL_CERT='\/etc\/cloudify\/ssl\/cloudify_internal_cert\.pem'$/m);
    assert.match(restEnv, /^STRATUS_PRIVATE_IP='10\.9\.0\.31'$/m);
    assert.match(restEnv, /^STRATUS_WORKERS='2'$/m);
    assert.match(restEnv, /^STRATUS_MAX_CONCURRENT_WORKFLOWS='20'$/m);
    assert.match(workerEnv, /^STRATUS_SECRETS_KEY='c2VjcmV0cy1rZXktZm9yLXRlc3Rz'$/m);
    assert.match(workerEnv, /^STRATUS_AMQP_URL='amqps:\/\/cloudify:/m);
    for (const env of [restEnv, workerEnv]) assert.match(env, /^STRATUS_AMQP_FOLLOW_REGISTRY='true'$/m);
    assert.ok(!restEnv.includes(ADMIN), 'the admin password is in the database, not in the env');
  });

  test('monitoring: metrics ports 8111/8112, and the REST service is told where its Prometheus is', () => {
    const c = load(guide());
    const r = renderManager(c, 'k', 4);
    const restEnv = r.env.find((e) => e.path === REST_ENV)!.text;
    const workerEnv = r.env.find((e) => e.path === WORKER_ENV)!.text;
    assert.match(restEnv, /^STRATUS_METRICS_PORT='8111'$/m);
    assert.match(workerEnv, /^STRATUS_METRICS_PORT='8112'$/m);
    assert.match(restEnv, /^STRATUS_PROMETHEUS_URL='https:\/\/10\.9\.0\.31:8009\/monitoring'$/m);
    assert.match(restEnv, /^STRATUS_PROMETHEUS_CA='\/etc\/cloudify\/ssl\/monitoring_ca_cert\.pem'$/m);
    assert.match(restEnv, /^STRATUS_PROMETHEUS_USER='monitoringusername'$/m);
    assert.match(
      restEnv,
      new RegExp(`^STRATUS_PROMETHEUS_PASSWORD='${GUIDE_SECRETS.monitoringPassword}'$`, 'm'),
    );
    assert.ok(!workerEnv.includes('STRATUS_PROMETHEUS'), 'only the REST service asks Prometheus');
    for (const p of r.programs) assert.ok(!p.command.includes(GUIDE_SECRETS.monitoringPassword));
    // Empty prometheus.credentials: the admin credentials (§7.2).
    const noCreds = load({
      ...guide(),
      prometheus: { ...guide().prometheus, credentials: { username: '', password: '' } },
    });
    const env2 = renderManager(noCreds, 'k', 4).env.find((e) => e.path === REST_ENV)!.text;
    assert.match(env2, /^STRATUS_PROMETHEUS_USER='admin'$/m);
    assert.match(env2, new RegExp(`^STRATUS_PROMETHEUS_PASSWORD='${ADMIN}'$`, 'm'));
    // Without monitoring_service, no Prometheus to ask.
    const bare = load({ ...guide(), services_to_install: ['manager_service'] });
    const env3 = renderManager(bare, 'k', 4).env.find((e) => e.path === REST_ENV)!.text;
    assert.ok(!env3.includes('STRATUS_PROMETHEUS_URL'));
    assert.match(env3, /^STRATUS_METRICS_PORT='8111'$/m);
  });

  test('env file quoting: single quotes, double quotes when the value has one, refused with both', () => {
    assert.equal(envFileText({ A: "it's", B: 'x' }).split('\n').slice(1, 3).join('|'), `A="it's"|B='x'`);
    assert.throws(() => envFileText({ A: `'"` }), /contains both/);
    assert.throws(() => envFileText({ A: 'a\nb' }), /line break/);
  });

  test('add-networks --networks: JSON object, addresses 1 to 253 characters', () => {
    assert.deepEqual(parseNetworks('{"lan2": "10.1.0.5"}'), { lan2: '10.1.0.5' });
    assert.throws(
      () => parseNetworks('{"lan2": ""}'),
      (e: Error) =>
        e.name === 'NetworkValidationError' &&
        e.message ===
          'Error validating network lan2. Network address length should be between 1 and 253 but was 0.',
    );
    assert.throws(() => parseNetworks(`{"x": "${'a'.repeat(254)}"}`), /between 1 and 253 but was 254\./);
    assert.throws(() => parseNetworks('lan2=10.1.0.5'), /--networks is not JSON/);
    assert.throws(() => parseNetworks('[]'), /non-empty JSON object/);
  });

  test('the finish message of §9.4, line by line', () => {
    const c = load(guide());
    const rule = '#'.repeat(50);
    assert.deepEqual(finishMessage(c, false), [
      rule,
      'Manager is up at https://10.9.0.31',
      `Admin password: ${ADMIN}`,
      rule,
      'To connect to the manager, use:',
      `cfy profiles use 10.9.0.31 -u admin -p ${ADMIN} -t default_tenant -ssl -c path/to/cloudify_internal_ca_cert.pem`,
      rule,
      'To install the default plugins bundle run:',
      "'cfy plugins bundle-upload'",
      rule,
    ]);
    assert.match(finishMessage(c, true)[5]!, /-c path\/to\/cloudify_external_ca_cert\.pem$/);
    c.manager.security.ssl_enabled = false;
    assert.equal(finishMessage(c, false)[1], 'Manager is up at http://10.9.0.31');
    assert.match(finishMessage(c, false)[5]!, /-t default_tenant$/);
    c.services_to_install = ['database_service'];
    assert.deepEqual(finishMessage(c), []);
  });
});

describe('manager_service checks before anything changes (real listeners on loopback)', () => {
  let ca: KeyAndCert;
  let other: KeyAndCert;
  const files: Record<string, string> = {};
  before(async () => {
    ca = await generateCa();
    other = await generateCa();
    const leaf = await generateLeaf('127.0.0.1', ['127.0.0.1'], ca);
    const foreign = await generateLeaf('127.0.0.1', ['127.0.0.1'], other);
    for (const [name, text] of Object.entries({
      'ca.crt': ca.certPem,
      'other.crt': other.certPem,
      'leaf.crt': leaf.certPem,
      'leaf.key': leaf.keyPem,
      'foreign.crt': foreign.certPem,
      'foreign.key': foreign.keyPem,
    })) {
      files[name] = join(work, name);
      writeFileSync(files[name]!, text);
    }
  });

  function localDoc(brokerPort: number): Config {
    const doc = guide(work);
    doc.rabbitmq.ca_path = files['ca.crt'];
    doc.rabbitmq.cluster_members = { rabbit1: { networks: { default: '127.0.0.1' } } };
    doc.postgresql_server.cluster = { nodes: {} };
    doc.postgresql_client.host = '127.0.0.1';
    const c = load(doc);
    c.agent.broker_port = brokerPort;
    return c;
  }

  async function closedPort(): Promise<number> {
    const s = createTcpServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  async function tlsBroker(cert: string, key: string) {
    const s = createTlsServer({ cert, key }, (sock) => sock.end());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return {
      port: (s.address() as AddressInfo).port,
      close: () => new Promise<void>((r) => s.close(() => r())),
    };
  }

  test('an external database without a cluster: one host, no Patroni, db_nodes and brokers marked external', () => {
    const doc = guide(work);
    doc.ssl_inputs.ca_cert_path = files['ca.crt'];
    doc.rabbitmq.ca_path = files['ca.crt'];
    doc.postgresql_server.cluster = { nodes: {} };
    doc.postgresql_client.host = 'db.example.com';
    doc.rabbitmq.is_external = true;
    doc.rabbitmq.cluster_members = { 'mq.example.com': { networks: { default: 'mq.example.com' } } };
    const c = load(doc);
    assert.match(dbUrl(c, 'cloudify'), /@db\.example\.com:5432\/cloudify_db\?sslmode=verify-full/);
    assert.doesNotMatch(dbUrl(c, 'cloudify'), /patroni_port/);
    const req = registerRequest(c, 'register', sourceSsl(c));
    assert.deepEqual(req.dbNodes, [{ name: 'db.example.com', host: 'db.example.com', is_external: true }]);
    assert.equal(req.brokersExternal, true);
  });

  test('a broker whose certificate rabbitmq.ca_path signed passes; one signed by another CA is named', async () => {
    const read = (f: string) => readFileSync(files[f]!, 'utf8');
    const ok = await tlsBroker(read('leaf.crt'), read('leaf.key'));
    const bad = await tlsBroker(read('foreign.crt'), read('foreign.key'));
    try {
      await checkBrokers(localDoc(ok.port));
      await assert.rejects(
        checkBrokers(localDoc(bad.port)),
        (err: Error) =>
          err.name === 'ValidationError' &&
          err.message.startsWith(
            `The certificate of broker rabbit1 (127.0.0.1:${bad.port}) is not signed by rabbitmq.ca_path ${files['ca.crt']}`,
          ),
      );
    } finally {
      await ok.close();
      await bad.close();
    }
  });

  test('an unreachable broker and database: one line naming host, port and the key to fix', async () => {
    const port = await closedPort();
    await assert.rejects(
      checkBrokers(localDoc(port)),
      (err: Error & { fix?: string }) =>
        err.name === 'NetworkError' &&
        err.message === `Cannot reach any broker: rabbit1 at 127.0.0.1:${port} (rabbitmq.cluster_members)` &&
        /correct rabbitmq\.cluster_members/.test(err.fix ?? ''),
    );
    // 5432 on loopback: closed on this machine unless a PostgreSQL runs here; only then is it skipped.
    const c = localDoc(port);
    if (!(await portOpen('127.0.0.1', 5432))) {
      await assert.rejects(
        checkDatabaseReachable(c),
        (err: Error) =>
          err.name === 'NetworkError' &&
          err.message === 'Cannot reach the database at 127.0.0.1:5432 (postgresql_client.host)',
      );
    }
  });

  test('ssl_inputs: a missing CA input, or an internal cert another CA signed, is refused', async () => {
    const doc = guide(work);
    doc.ssl_inputs = {
      internal_cert_path: files['foreign.crt'],
      internal_key_path: files['foreign.key'],
      ca_cert_path: files['ca.crt'],
    };
    doc.postgresql_client.ssl_client_verification = false;
    await assert.rejects(
      checkManagerCerts(load(doc)),
      new RegExp(
        `Provided certificate ${files['foreign.crt']} was not signed by provided CA ${files['ca.crt']}`,
      ),
    );
    doc.ssl_inputs = { internal_cert_path: files['leaf.crt'], internal_key_path: files['leaf.key'] };
    await assert.rejects(checkManagerCerts(load(doc)), /A manager needs ssl_inputs\.ca_cert_path/);
    doc.ssl_inputs.ca_cert_path = files['ca.crt'];
    await checkManagerCerts(load(doc));
  });
});
