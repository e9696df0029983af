// monitoring_service without touching the host: the guide's config.yaml of each node type → prometheus.yml,
// the target files, the rules, Prometheus's web config, blackbox.yml, postgres_exporter's DSN and the
// supervisord programs; the lookback and `for:` arithmetic (Python's round); the checks made before
// anything changes, with Cloudify's message for a cluster without certificates.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { componentsFor } from '../../src/installer/components/index.js';
import {
  CLUSTER_CERTS_MESSAGE,
  validateMonitoring,
} from '../../src/installer/components/monitoring/certs.js';
import { monitoringUserSql } from '../../src/installer/components/monitoring/db-user.js';
import {
  postgresDsn,
  renderBlackbox,
  renderPrograms,
  renderPrometheusConfig,
  renderTargets,
  renderWebConfig,
  shellEnvFile,
  targetFiles,
} from '../../src/installer/components/monitoring/render.js';
import { ruleFiles } from '../../src/installer/components/monitoring/rules.js';
import {
  alertFor,
  lookbackDelta,
  monitoringCredentials,
  PRODUCTION_LAYOUT as L,
} from '../../src/installer/components/monitoring/settings.js';
import { supervisordSocket } from '../../src/installer/services/supervisor.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import { setupLogging } from '../../src/installer/log.js';
import { databaseConfig, GUIDE_SECRETS, queueConfig } from '../../src/lab/guide-config.js';
import { managerDoc } from './manager-guide.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-monitoring-render-'));
before(() => setupLogging({ file: false, console: false }));
after(() => rmSync(work, { recursive: true, force: true }));

const node = (name: string, ip: string) => ({ name, ip });
const DBS = ['11', '12', '13'].map((n, i) => node(`db${i + 1}`, `10.9.0.${n}`));
const BROKERS = ['21', '22', '23'].map((n, i) => node(`rabbit${i + 1}`, `10.9.0.${n}`));
const MANAGERS = ['31', '32', '33'].map((n, i) => node(`manager${i + 1}`, `10.9.0.${n}`));
const PW = GUIDE_SECRETS.monitoringPassword;

function load(doc: Record<string, any>): Config {
  return deriveConfig(finishConfig(deepMerge(packagedDefaults(), doc), ['/etc/cloudify/config.yaml']));
}

const managerCfg = () =>
  load({
    ...managerDoc({ self: '10.9.0.31', dbs: DBS, brokers: BROKERS }),
    load_balancer: { managers: Object.fromEntries(MANAGERS.map((m) => [m.name, { ip: m.ip }])) },
  });
const dbCfg = () => load(parse(databaseConfig(DBS[0]!, DBS)));
const queueCfg = () => load(parse(queueConfig(BROKERS[1]!, BROKERS)));
const allInOne = () =>
  load({ manager: { private_ip: '10.9.0.50', public_ip: '10.9.0.50', hostname: 'aio' } });

const creds = (c: Config) => monitoringCredentials(c);
const yml = (c: Config) => parse(renderPrometheusConfig(c, L, creds(c))) as any;
const jobs = (c: Config) => (yml(c).scrape_configs as any[]).map((j) => j.job_name);
const targets = (c: Config) => Object.fromEntries(targetFiles(c).map((t) => [t.name, t]));

describe('prometheus.yml and the target files, per node type', () => {
  test('a manager: local jobs, our own metrics, the nine federation jobs; rules loaded', () => {
    const c = managerCfg();
    const doc = yml(c);
    assert.deepEqual(doc.global, {
      scrape_interval: '5s',
      evaluation_interval: '5s',
      external_labels: { monitor: 'cloudify' },
    });
    assert.deepEqual(doc.rule_files, ['/etc/prometheus/alerts/*.yml']);
    assert.deepEqual(jobs(c), [
      'prometheus',
      'node',
      'http_200',
      'stratus_rest',
      'stratus_worker',
      'federate_http_200',
      'federate_manager_prometheus',
      'federate_manager_node',
      'federate_rabbitmq',
      'federate_rabbitmq_prometheus',
      'federate_rabbitmq_node',
      'federate_postgresql',
      'federate_postgresql_prometheus',
      'federate_postgresql_node',
    ]);
    const byName = Object.fromEntries((doc.scrape_configs as any[]).map((j) => [j.job_name, j]));
    const fed = byName.federate_rabbitmq_node;
    assert.equal(fed.scheme, 'https');
    assert.equal(fed.honor_labels, true);
    assert.equal(fed.metrics_path, '/monitoring/federate');
    assert.deepEqual(fed.params, { 'match[]': ['{job="node",host!="10.9.0.31"}'] });
    assert.deepEqual(fed.tls_config, { ca_file: '/etc/cloudify/ssl/monitoring_ca_cert.pem' });
    assert.deepEqual(fed.basic_auth, {
      username: 'monitoringusername',
      password_file: '/etc/prometheus/federation.password',
    });
    assert.deepEqual(fed.file_sd_configs, [{ files: ['/etc/prometheus/targets/other_rabbits.yml'] }]);
    assert.deepEqual(byName.federate_http_200.params, { 'match[]': ['{job="http_200",host!="10.9.0.31"}'] });
    const self = byName.prometheus;
    assert.equal(self.metrics_path, '/monitoring/metrics');
    assert.deepEqual(self.tls_config, {
      ca_file: '/etc/cloudify/ssl/monitoring_ca_cert.pem',
      server_name: '10.9.0.31',
    });
    assert.deepEqual(byName.stratus_rest.static_configs, [
      { targets: ['127.0.0.1:8111'], labels: { host: '10.9.0.31' } },
    ]);
    assert.deepEqual(byName.stratus_worker.static_configs[0].targets, ['127.0.0.1:8112']);
    assert.equal(byName.http_200.relabel_configs[2].replacement, '127.0.0.1:9115');
    assert.ok(!renderPrometheusConfig(c, L, creds(c)).includes(PW), 'the password is in its own file');
  });

  test("a manager's target files: host label on local ones; the other nodes on 8009", () => {
    const t = targets(managerCfg());
    assert.equal(
      renderTargets(t['local_prometheus.yml']!),
      '- targets: ["127.0.0.1:8009"]\n  labels: {"host":"10.9.0.31"}\n',
    );
    assert.deepEqual(t['local_node_exporter.yml']!.targets, ['localhost:9100']);
    assert.deepEqual(t['local_http_200_manager.yml']!.targets, [
      'https://10.9.0.31:443/api/v3.1/ok',
      'https://10.9.0.31:53333/api/v3.1/ok',
    ]);
    assert.deepEqual(t['other_managers.yml']!.targets, ['10.9.0.32:8009', '10.9.0.33:8009']);
    assert.deepEqual(t['other_rabbits.yml']!.targets, ['10.9.0.21:8009', '10.9.0.22:8009', '10.9.0.23:8009']);
    assert.deepEqual(t['other_postgres.yml']!.targets, [
      '10.9.0.11:8009',
      '10.9.0.12:8009',
      '10.9.0.13:8009',
    ]);
    assert.deepEqual(t['other_postgres.yml']!.labels, {});
    assert.equal(t['local_postgres.yml'], undefined);
    assert.equal(t['local_rabbit.yml'], undefined);
    // Without load_balancer.managers the other managers are unknown to the config.
    const lone = load(managerDoc({ self: '10.9.0.31', dbs: DBS, brokers: BROKERS }));
    assert.deepEqual(targets(lone)['other_managers.yml']!.targets, []);
  });

  test('a DB node: prometheus, node and postgresql jobs only; no federation, no rules', () => {
    const c = dbCfg();
    assert.deepEqual(jobs(c), ['prometheus', 'node', 'postgresql']);
    assert.deepEqual(yml(c).rule_files, []);
    const t = targets(c);
    assert.deepEqual(Object.keys(t).sort(), [
      'local_node_exporter.yml',
      'local_postgres.yml',
      'local_prometheus.yml',
    ]);
    assert.deepEqual(t['local_postgres.yml']!.targets, ['localhost:9187']);
    assert.deepEqual(t['local_postgres.yml']!.labels, { host: '10.9.0.11' });
  });

  test('a queue node: the rabbitmq job on the local rabbitmq_prometheus port', () => {
    const c = queueCfg();
    assert.deepEqual(jobs(c), ['prometheus', 'node', 'rabbitmq']);
    assert.deepEqual(targets(c)['local_rabbit.yml'], {
      name: 'local_rabbit.yml',
      targets: ['localhost:15692'],
      labels: { host: '10.9.0.22' },
    });
  });

  test('all-in-one: every local job, federation with no targets', () => {
    const c = allInOne();
    assert.deepEqual(jobs(c).slice(0, 5), ['prometheus', 'node', 'rabbitmq', 'postgresql', 'http_200']);
    const t = targets(c);
    for (const f of ['other_managers.yml', 'other_rabbits.yml', 'other_postgres.yml'])
      assert.deepEqual(t[f]!.targets, []);
  });
});

describe('rules (§7.4) with our program names', () => {
  test('manager.yml: the probe count, our supervisord programs, for: the 5s default interval', () => {
    const files = Object.fromEntries(ruleFiles(managerCfg()).map((f) => [f.name, parse(f.text)]));
    assert.deepEqual(Object.keys(files), [
      'manager.yml',
      'postgres.yml',
      'rabbitmq.yml',
      'manager_missing.yml',
      'postgres_missing.yml',
      'rabbitmq_missing.yml',
    ]);
    const rules = files['manager.yml'].groups[0].rules as any[];
    const rec = (n: string) => rules.find((r) => r.record === n);
    assert.equal(
      rec('manager_healthy').expr,
      'count by (host, monitor) (sum by (host, monitor) (probe_success) == 2)',
    );
    assert.equal(
      rec('manager_service_supervisord').expr,
      'sum by (host, name) (node_supervisord_up{name=~"(cloudify-restservice|cloudify-mgmtworker|blackbox_exporter|node_exporter|prometheus)"})',
    );
    assert.deepEqual(rec('manager_service_supervisord').labels, { process_manager: 'supervisord' });
    assert.equal(rec('manager_service').expr, 'manager_service_supervisord');
    for (const r of rules.filter((x) => x.alert)) assert.equal(r.for, '5s');
    const pg = files['postgres.yml'].groups[0].rules as any[];
    assert.equal(pg[0].expr, 'pg_up{job="postgresql"} == 1 and up{job="postgresql"} == 1');
    assert.match(pg[1].expr, /name=~"\(etcd\|patroni\|node_exporter\|postgres_exporter\)"/);
    const rb = files['rabbitmq.yml'].groups[0].rules as any[];
    assert.equal(rb[0].expr, 'sum by (host, instance, job, monitor) (up{job="rabbitmq"}) == 1');
    assert.match(rb[1].expr, /name=~"\(node_exporter\|cloudify-rabbitmq\)"/);
  });

  test('*_missing.yml: absent() per expected host, every manager, DB and broker node', () => {
    const files = Object.fromEntries(ruleFiles(managerCfg()).map((f) => [f.name, parse(f.text)]));
    const exprs = (n: string) => (files[n].groups[0].rules as any[]).map((r) => r.expr);
    assert.deepEqual(exprs('manager_missing.yml'), [
      'absent(manager_healthy{host="10.9.0.31"})',
      'absent(up{host="10.9.0.31", job="prometheus"})',
      'absent(manager_healthy{host="10.9.0.32"})',
      'absent(up{host="10.9.0.32", job="prometheus"})',
      'absent(manager_healthy{host="10.9.0.33"})',
      'absent(up{host="10.9.0.33", job="prometheus"})',
    ]);
    assert.equal(exprs('postgres_missing.yml').length, 6);
    assert.equal(exprs('rabbitmq_missing.yml')[4], 'absent(rabbitmq_healthy{host="10.9.0.23"})');
    assert.equal(
      files['rabbitmq_missing.yml'].groups[0].rules[0].annotations.summary,
      'Rabbitmq is missing on node 10.9.0.21',
    );
  });

  test('all-in-one: postgresql-15 among the DB programs; `for:` follows a short scrape interval', () => {
    const c = allInOne();
    c.prometheus.scrape_interval = '5s';
    const files = Object.fromEntries(ruleFiles(c).map((f) => [f.name, parse(f.text)]));
    assert.match(files['postgres.yml'].groups[0].rules[1].expr, /\|postgres_exporter\|postgresql-15\)"/);
    for (const r of files['manager.yml'].groups[0].rules.filter((x: any) => x.alert))
      assert.equal(r.for, '5s');
    assert.deepEqual(
      files['postgres_missing.yml'].groups[0].rules.map((r: any) => r.expr),
      ['absent(postgres_healthy{host="10.9.0.50"})', 'absent(up{host="10.9.0.50", job="prometheus"})'],
    );
  });

  test('lookback delta = round-half-even(2.7 × seconds); for: the interval below 15 s', () => {
    const cases: [string, string][] = [
      ['15s', '40s'],
      ['5s', '14s'],
      ['25s', '68s'],
      ['45s', '122s'],
      ['55s', '148s'],
      ['2s500ms', '7s'],
      ['900ms', '2s'],
      ['1m', '40s'],
      ['abc', '40s'],
      ['', '40s'],
    ];
    for (const [interval, want] of cases) assert.equal(lookbackDelta(interval), want, interval);
    assert.equal(alertFor('5s'), '5s');
    assert.equal(alertFor('500ms'), '500ms');
    assert.equal(alertFor('15s'), '15s');
    assert.equal(alertFor('30s'), '15s');
    assert.equal(alertFor('1m'), '15s');
  });
});

describe('web config, exporters, programs', () => {
  test('web config: TLS 1.2+ with the monitoring cert, one bcrypt user that matches the password', () => {
    const hash = bcrypt.hashSync(PW, 4);
    const doc = parse(renderWebConfig(L, 'monitoringusername', hash));
    assert.deepEqual(doc.tls_server_config, {
      cert_file: '/etc/cloudify/ssl/monitoring_cert.pem',
      key_file: '/etc/cloudify/ssl/monitoring_key.pem',
      min_version: 'TLS12',
    });
    assert.deepEqual(Object.keys(doc.basic_auth_users), ['monitoringusername']);
    assert.ok(bcrypt.compareSync(PW, doc.basic_auth_users.monitoringusername));
    assert.ok(!bcrypt.compareSync('wrong', doc.basic_auth_users.monitoringusername));
  });

  test('a manager: prometheus on :8009 with the web config, node and blackbox exporters on loopback', () => {
    const c = managerCfg();
    const progs = renderPrograms(c, { layout: L, supervisorSocket: '/run/supervisor.sock' });
    assert.deepEqual(
      progs.map((p) => p.name),
      ['prometheus', 'node_exporter', 'blackbox_exporter'],
    );
    const prom = progs[0]!;
    for (const flag of [
      '--config.file=/etc/prometheus/prometheus.yml',
      '--storage.tsdb.path=/var/lib/prometheus/cloudify',
      '--storage.tsdb.retention.size=200MB',
      '--storage.tsdb.retention.time=7d',
      '--query.lookback-delta=14s',
      '--web.listen-address=:8009',
      '--web.config.file=/etc/prometheus/web.yml',
      '--web.external-url=https://10.9.0.31:8009/monitoring',
    ])
      assert.ok(prom.command.split(' ').includes(flag), flag);
    assert.equal(prom.environment?.GOMAXPROCS, '1');
    assert.equal(prom.user, 'prometheus');
    assert.match(progs[1]!.command, /--collector\.supervisord\.url=unix:\/\/\/run\/supervisor\.sock /);
    assert.match(progs[1]!.command, /--web\.listen-address=127\.0\.0\.1:9100/);
    assert.match(
      progs[2]!.command,
      /--config\.file=\/etc\/prometheus\/exporters\/blackbox\.yml --web\.listen-address=127\.0\.0\.1:9115/,
    );
    for (const p of progs)
      assert.ok(!p.command.includes(PW) && !JSON.stringify(p.environment ?? {}).includes(PW));
    const bb = parse(renderBlackbox('/etc/cloudify/ssl/cloudify_internal_ca_cert.pem'));
    assert.deepEqual(bb.modules.http_200.http.tls_config, {
      insecure_skip_verify: false,
      ca_file: '/etc/cloudify/ssl/cloudify_internal_ca_cert.pem',
    });
  });

  test('a DB node: postgres_exporter as postgres, its DSN only in the env file; TLS with the DB CA', () => {
    const c = dbCfg();
    const progs = renderPrograms(c, { layout: L, supervisorSocket: '/var/run/supervisor.sock' });
    assert.deepEqual(
      progs.map((p) => p.name),
      ['prometheus', 'node_exporter', 'postgres_exporter'],
    );
    const pe = progs[2]!;
    assert.equal(pe.user, 'postgres');
    assert.equal(
      pe.command,
      "/bin/sh -c 'set -a; . /etc/prometheus/exporters/postgres_exporter.env; set +a; exec /usr/bin/prometheus-postgres-exporter --web.listen-address=127.0.0.1:9187 --log.level=info'",
    );
    assert.ok(!pe.command.includes('c10udify_db_monitoring'));
    assert.equal(
      postgresDsn(c, '/var/lib/patroni/ca.crt'),
      'postgresql://cloudify_db_monitoring:c10udify_db_monitoring@10.9.0.11:5432/postgres?sslmode=require&sslrootcert=%2Fvar%2Flib%2Fpatroni%2Fca.crt',
    );
    c.prometheus.postgres_exporter.password = "p'w@ x";
    c.prometheus.postgres_exporter.sslmode = 'verify-full';
    const dsn = postgresDsn(c, '/ca.crt');
    assert.match(
      dsn,
      /^postgresql:\/\/cloudify_db_monitoring:p'w%40%20x@10\.9\.0\.11:5432\/postgres\?sslmode=verify-full&/,
    );
    assert.equal(
      shellEnvFile({ DATA_SOURCE_NAME: dsn }).split('\n')[1],
      `DATA_SOURCE_NAME='${dsn.replace("'", "'\\''")}'`,
    );
    // The same password goes into the role the exporter logs in with.
    assert.match(
      monitoringUserSql('cloudify_db_monitoring', "p'w@ x"),
      /CREATE ROLE "cloudify_db_monitoring" LOGIN PASSWORD \$pw\$p'w@ x\$pw\$;/,
    );
    assert.match(monitoringUserSql('m', 'a$pw$b'), /PASSWORD \$pw4\$a\$pw\$b\$pw4\$/);
    // all-in-one without TLS: localhost, sslmode disable whatever the configured default.
    assert.equal(
      postgresDsn(allInOne(), ''),
      'postgresql://cloudify_db_monitoring:c10udify_db_monitoring@localhost:5432/postgres?sslmode=disable',
    );
  });

  test("supervisordSocket: the [unix_http_server] file of our supervisord's config", () => {
    const conf = join(work, 'supervisord.conf');
    writeFileSync(
      conf,
      '[supervisord]\nfile=/nope\n[unix_http_server]\nfile=/run/supervisor.sock   ; the socket\nchmod=0700\n',
    );
    assert.equal(supervisordSocket(conf), '/run/supervisor.sock');
    assert.equal(supervisordSocket(join(work, 'missing.conf')), '/var/run/supervisor.sock');
  });

  test('monitoring_service brings the prometheus component on every node type', () => {
    for (const c of [managerCfg(), dbCfg(), queueCfg(), allInOne()])
      assert.ok(componentsFor(c).some((x) => x.name === 'prometheus'));
  });
});

describe('checks before anything changes', () => {
  test('a cluster node without prometheus certificates: Cloudify’s exact message', async () => {
    const c = dbCfg();
    c.prometheus.cert_path = '';
    c.prometheus.key_path = '';
    c.prometheus.ca_path = '';
    await assert.rejects(validateMonitoring(c), (err: Error) => err.message === CLUSTER_CERTS_MESSAGE);
    assert.equal(
      CLUSTER_CERTS_MESSAGE,
      'Cannot generate self-signed certificates for Prometheus in a cluster - externally generated certificates must be provided as well as the appropriate CA certificate.',
    );
    const q = queueCfg();
    q.prometheus.ca_path = '';
    await assert.rejects(validateMonitoring(q), (err: Error) => err.message === CLUSTER_CERTS_MESSAGE);
    await validateMonitoring(allInOne()); // all-in-one: generated on configure
  });

  test('supplied certificates must cover the private IP; scrape_interval and sslmode are checked', async () => {
    const ca = await generateCa();
    const good = await generateLeaf('10.9.0.11', ['10.9.0.11'], ca);
    const other = await generateLeaf('10.9.0.99', ['10.9.0.99'], ca);
    const files = (name: string, kc: { certPem: string; keyPem: string }) => {
      writeFileSync(join(work, `${name}.crt`), kc.certPem);
      writeFileSync(join(work, `${name}.key`), kc.keyPem);
      return {
        cert_path: join(work, `${name}.crt`),
        key_path: join(work, `${name}.key`),
        ca_path: join(work, 'ca.crt'),
      };
    };
    writeFileSync(join(work, 'ca.crt'), ca.certPem);
    const c = dbCfg();
    Object.assign(c.prometheus, files('good', good));
    await validateMonitoring(c);
    Object.assign(c.prometheus, files('other', other));
    await assert.rejects(validateMonitoring(c), /does not cover this node's private IP 10\.9\.0\.11/);
    Object.assign(c.prometheus, files('good', good));
    c.prometheus.scrape_interval = '15 s';
    await assert.rejects(validateMonitoring(c), /scrape_interval "15 s" is not a Prometheus duration/);
    c.prometheus.scrape_interval = '15s';
    c.prometheus.postgres_exporter.sslmode = 'prefer';
    await assert.rejects(
      validateMonitoring(c),
      /sslmode "prefer" is not one of disable, require, verify-ca, verify-full/,
    );
    c.prometheus.postgres_exporter.sslmode = 'disable';
    await assert.rejects(validateMonitoring(c), /accepts TLS connections only/);
    c.prometheus.postgres_exporter.sslmode = 'require';
    c.prometheus.postgres_exporter.password = 'two words';
    await assert.rejects(validateMonitoring(c), /contains whitespace, which postgres_exporter cannot parse/);
  });

  test('credentials fall back as §7.2: admin (manager), postgres (DB), the broker user (queue)', () => {
    const empty = { prometheus: { credentials: { username: '', password: '' } } };
    const m = load(deepMerge(managerDoc({ self: '10.9.0.31', dbs: DBS, brokers: BROKERS }), empty));
    assert.deepEqual(creds(m), { username: 'admin', password: 'admin-guide-password-1' });
    const d = load(deepMerge(parse(databaseConfig(DBS[0]!, DBS)), empty));
    assert.deepEqual(creds(d), { username: 'postgres', password: GUIDE_SECRETS.postgresPassword });
    const q = load(deepMerge(parse(queueConfig(BROKERS[0]!, BROKERS)), empty));
    assert.deepEqual(creds(q), { username: 'cloudify', password: GUIDE_SECRETS.rabbitPassword });
    assert.deepEqual(creds(dbCfg()), { username: 'monitoringusername', password: PW });
  });
});
