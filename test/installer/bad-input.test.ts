// The real binary in a lab node, fed the guide's config.yaml with one mistake at a time. Each problem is
// reported before anything on the node changes (no markers, no supervisord programs, no data).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { databaseConfig } from '../../src/lab/guide-config.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { within } from '../../src/lab/within.js';
import { CFY, cfy, nodeFile, nodeIp } from './lab-helpers.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';

describe('bad input is reported before anything changes', { skip, timeout: 240_000 }, () => {
  let t: TestLab;
  let ip: string;
  const peers = () => [
    { name: 'db1', ip },
    { name: 'db2', ip: ip.replace(/\.\d+$/, '.201') },
    { name: 'db3', ip: ip.replace(/\.\d+$/, '.202') },
  ];
  const guide = (edit: (d: Record<string, any>) => void = () => {}) => {
    const d = parse(databaseConfig({ name: 'db1', ip }, peers())) as Record<string, any>;
    edit(d);
    writeFileSync(nodeFile(t.lab, 'db1', 'etc/cloudify/config.yaml'), stringify(d));
  };
  const unchanged = () => {
    assert.ok(!existsSync(nodeFile(t.lab, 'db1', 'etc/cloudify/.installed')), 'no installed markers');
    assert.deepEqual(readdirSync(nodeFile(t.lab, 'db1', 'etc/supervisord.d')), [], 'no supervisord programs');
    assert.deepEqual(readdirSync(nodeFile(t.lab, 'db1', 'var/lib/etcd')), [], 'no etcd data');
  };
  const installFails = async (pattern: RegExp) => {
    const r = await cfy(t.lab, 'db1', ['install'], 60_000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, pattern);
    unchanged();
  };

  before(async () => {
    t = await startTestLab({ name: 'bad', nodes: [{ name: 'db1', roles: ['database'] }] });
    ip = nodeIp(t.lab, 'db1');
    const own = await cfy(t.lab, 'db1', ['generate-test-cert', '-s', `${ip},db1`]);
    assert.equal(own.code, 0, own.stderr);
    // A second CA, as if the operator mixed up two certificate directories.
    const other = await t.lab.exec(
      'db1',
      ['env', 'HOME=/tmp/other', CFY, 'generate-test-cert', '-s', `${ip},db1`],
      {
        timeoutMs: 120_000,
      },
    );
    assert.equal(other.code, 0, other.stderr);
  });
  after(async () => {
    await t?.down();
  });

  test('generate-test-cert prints the files it made', async () => {
    const r = await cfy(t.lab, 'db1', ['generate-test-cert', '-s', 'postgres']);
    assert.equal(
      r.stdout,
      'Created cert and key:\n  /root/.cloudify-test-ca/postgres.crt\n  /root/.cloudify-test-ca/postgres.key\n\nCA cert: /root/.cloudify-test-ca/ca.crt\n',
    );
  });

  test("the guide's YAML with one key misspelt", async () => {
    guide((d) => {
      d.postgresql_server.cluster.etcd.cluster_tokn = d.postgresql_server.cluster.etcd.cluster_token;
      delete d.postgresql_server.cluster.etcd.cluster_token;
    });
    await installFails(
      /ValidationError: Invalid configuration .*\n {2}- unknown key postgresql_server\.cluster\.etcd\.cluster_tokn: did you mean postgresql_server\.cluster\.etcd\.cluster_token\?/,
    );
  });

  test('a missing password', async () => {
    guide((d) => (d.postgresql_server.cluster.patroni.rest_password = ''));
    await installFails(
      /ValidationError: Problems detected in postgresql_server\.cluster configuration: Patroni rest username and password must be set\./,
    );
  });

  test('2 DB nodes: a warning, and validate passes', async () => {
    guide((d) => delete d.postgresql_server.cluster.nodes.db3);
    const r = await cfy(t.lab, 'db1', ['validate'], 60_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, / - WARNING - At least 3 DB cluster nodes are recommended/);
    assert.match(r.stdout, /All validations passed successfully!/);
    unchanged();
  });

  test('1 DB node in a cluster: an error', async () => {
    guide((d) => {
      delete d.postgresql_server.cluster.nodes.db2;
      delete d.postgresql_server.cluster.nodes.db3;
    });
    await installFails(/There must be at least 2 DB cluster nodes\./);
  });

  test('a certificate not signed by the given CA', async () => {
    guide((d) => {
      d.postgresql_server.cert_path = `/tmp/other/.cloudify-test-ca/${ip}.crt`;
      d.postgresql_server.key_path = `/tmp/other/.cloudify-test-ca/${ip}.key`;
    });
    await installFails(
      /ValidationError: Provided certificate \/tmp\/other\/\.cloudify-test-ca\/.*\.crt was not signed by provided CA \/root\/\.cloudify-test-ca\/ca\.crt/,
    );
  });

  test('a key that does not match its certificate', async () => {
    guide((d) => (d.postgresql_server.key_path = '/root/.cloudify-test-ca/postgres.key'));
    await installFails(
      /ValidationError: Key \/root\/\.cloudify-test-ca\/postgres\.key does not match the cert/,
    );
  });

  test('a private IP not on this host', async () => {
    guide((d) => {
      d.manager.private_ip = ip.replace(/\.\d+$/, '.250');
      d.postgresql_server.cluster.nodes.db1.ip = d.manager.private_ip;
    });
    await installFails(
      /ValidationError: Validation error\(s\):\nThe provided private IP \(.*\.250\) is not associated with any INET-type address available on this machine/,
    );
  });

  test('-c outside /etc/cloudify is refused', async () => {
    const r = await cfy(t.lab, 'db1', ['validate', '-c', '/tmp/config.yaml']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /ValidationError: Expected configuration files to be in \/etc\/cloudify, but got: \/tmp\/config\.yaml/,
    );
  });

  test('dbs list on a node with no cluster', async () => {
    writeFileSync(
      nodeFile(t.lab, 'db1', 'etc/cloudify/config.yaml'),
      stringify({ manager: { private_ip: ip, public_ip: ip } }),
    );
    const r = await cfy(t.lab, 'db1', ['dbs', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /There is no database cluster associated with this node\./);
  });

  test('start before configure names the missing step', async () => {
    guide();
    const r = await cfy(t.lab, 'db1', ['start']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /This can also mean you need to run `cfy_manager configure` before running `cfy_manager start`/,
    );
  });
});

describe('a single PostgreSQL node (database_service without a cluster)', { skip, timeout: 240_000 }, () => {
  let t: TestLab;
  let ip: string;
  before(async () => {
    t = await startTestLab({ name: 'single', nodes: [{ name: 'pg', roles: ['database'] }] });
    ip = nodeIp(t.lab, 'pg');
  });
  after(async () => {
    await t?.down();
  });

  test('installs with TLS and a password, answers over TLS, and remove leaves it clean', async () => {
    assert.equal((await cfy(t.lab, 'pg', ['generate-test-cert', '-s', `${ip},pg`])).code, 0);
    const ca = '/root/.cloudify-test-ca';
    writeFileSync(
      nodeFile(t.lab, 'pg', 'etc/cloudify/config.yaml'),
      stringify({
        manager: { private_ip: ip, public_ip: ip },
        postgresql_server: {
          postgres_password: 'single-node-secret-pw',
          enable_remote_connections: true,
          ssl_enabled: true,
          ssl_only_connections: true,
          cert_path: `${ca}/${ip}.crt`,
          key_path: `${ca}/${ip}.key`,
          ca_path: `${ca}/ca.crt`,
          config: { shared_buffers: '128MB' },
        },
        // As in the guide's manager config: the installer must drop it from the file after the install.
        postgresql_client: { server_password: 'single-node-secret-pw' },
        services_to_install: ['database_service'],
      }),
    );
    const r = await cfy(t.lab, 'pg', ['install']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Finished in 0 minutes and \d+ seconds/);
    const cfgDir = nodeFile(t.lab, 'pg', 'etc/cloudify');
    assert.doesNotMatch(readFileSync(`${cfgDir}/config.yaml`, 'utf8'), /server_password/);
    const backups = readdirSync(cfgDir).filter((f) => /^config\.yaml\.\d{8}-\d{6}\.bak$/.test(f));
    assert.equal(backups.length, 1);
    assert.equal(statSync(`${cfgDir}/${backups[0]}`).mode & 0o777, 0o600);
    const psql = (mode: string) =>
      t.lab.exec('pg', [
        'env',
        'PGPASSWORD=single-node-secret-pw',
        '/usr/bin/psql',
        `host=${ip} user=postgres dbname=postgres sslmode=${mode} sslrootcert=${ca}/ca.crt connect_timeout=5`,
        '-Atc',
        'select 1',
      ]);
    assert.equal((await psql('verify-full')).stdout.trim(), '1');
    assert.notEqual((await psql('disable')).code, 0, 'ssl_only_connections refuses plain connections');
    const log = readFileSync(nodeFile(t.lab, 'pg', 'var/log/cloudify/manager/cfy_manager.log'), 'utf8');
    assert.ok(!log.includes('single-node-secret-pw'));
    // stop / start / restart drive the supervisord program.
    const status = async () =>
      (
        await t.lab.exec('pg', [
          'supervisorctl',
          '-c',
          '/etc/supervisor/supervisord.conf',
          'status',
          'postgresql-15',
        ])
      ).stdout;
    assert.equal((await cfy(t.lab, 'pg', ['stop'])).code, 0);
    assert.match(await status(), /STOPPED/);
    assert.notEqual((await psql('verify-full')).code, 0);
    assert.equal((await cfy(t.lab, 'pg', ['start', 'postgresqlserver'])).code, 0);
    assert.match(await status(), /RUNNING/);
    await within(
      20_000,
      async () => (await psql('verify-full')).stdout.trim(),
      (x) => x === '1',
      'postgres back',
    );
    const unknown = await cfy(t.lab, 'pg', ['restart', 'nosuchthing']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown component nosuchthing; components of this node: postgresqlserver/);
    const rm = await cfy(t.lab, 'pg', ['remove']);
    assert.equal(rm.code, 0, rm.stdout + rm.stderr);
    assert.deepEqual(readdirSync(nodeFile(t.lab, 'pg', 'etc/supervisord.d')), []);
    assert.ok(!existsSync(nodeFile(t.lab, 'pg', 'var/lib/postgresql/15/cloudify')));
  });
});
