// Config, validations, certificates and the table printer, without touching the host: the guide's YAML
// with mistakes in it, and each message the operator would see.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { generateCa, generateLeaf, keyMatchesCert, signedBy } from '../../src/installer/certs/x509.js';
import { dropServerPassword } from '../../src/installer/commands/lifecycle.js';
import { componentsFor } from '../../src/installer/components/index.js';
import {
  pgHba,
  renderEtcdConf,
  renderPatroniConfig,
} from '../../src/installer/components/database/cluster-files.js';
import { assess, type NodeSnapshot } from '../../src/installer/components/database/status.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import {
  deepMerge,
  finishConfig,
  loadConfig,
  packagedDefaults,
  resolveConfigFiles,
} from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import {
  checkCertTriple,
  checkHost,
  checkPostgresInputs,
  type HostFacts,
} from '../../src/installer/config/validate.js';
import { ValidationError } from '../../src/installer/errors.js';
import { scrub, setupLogging } from '../../src/installer/log.js';
import { formatTable, pyCenter } from '../../src/installer/table.js';
import { databaseConfig, type GuideNode } from '../../src/lab/guide-config.js';

const dbs: GuideNode[] = [
  { name: 'db1', ip: '10.9.0.11' },
  { name: 'db2', ip: '10.9.0.12' },
  { name: 'db3', ip: '10.9.0.13' },
];

/** The guide's DB-node YAML (with the edit applied), merged over the packaged defaults. */
function guideConfig(edit: (doc: Record<string, any>) => void = () => {}): Config {
  const doc = parse(databaseConfig(dbs[0]!, dbs)) as Record<string, any>;
  edit(doc);
  return deriveConfig(finishConfig(deepMerge(packagedDefaults(), doc), ['/etc/cloudify/config.yaml']));
}

const facts: HostFacts = {
  addresses: ['127.0.0.1', '10.9.0.11'],
  memoryMb: 4096,
  diskGb: 50,
  distro: 'debian',
  version: '12',
};

before(() => setupLogging({ file: false, console: false }));

describe('config.yaml from the cluster guide', () => {
  test('the guide YAML as written loads, and database_service + monitoring_service pick the DB component first', () => {
    const c = guideConfig();
    assert.equal(c.postgresql_server.cluster.patroni.rest_user, 'patroni');
    assert.equal(c.postgresql_server.ssl_enabled, true, 'a DB node without a manager is forced to TLS');
    assert.equal(c.networks.default, '10.9.0.11');
    assert.deepEqual(
      componentsFor(c).map((x) => x.name),
      ['postgresqlserver', 'prometheus'],
    );
    checkPostgresInputs(c);
    checkHost(c, facts);
  });

  test('--private-ip, --public-ip and -a override the files; installed markers replace the default services', () => {
    const doc = parse(databaseConfig(dbs[0]!, dbs)) as Record<string, any>;
    const c = finishConfig(deepMerge(packagedDefaults(), doc), [], {
      privateIp: '10.9.0.12',
      publicIp: '192.0.2.7',
      adminPassword: 'an-admin-pw',
    });
    assert.equal(c.manager.private_ip, '10.9.0.12');
    assert.equal(c.manager.public_ip, '192.0.2.7');
    assert.equal(c.manager.security.admin_password, 'an-admin-pw');
    const dir = mkdtempSync(join(tmpdir(), 'installed-'));
    try {
      writeFileSync(join(dir, 'queue_service'), '');
      writeFileSync(join(dir, 'components.yaml'), '{}');
      const loaded = loadConfig({
        configFiles: ['/etc/cloudify/stratus-test-absent.yaml'],
        installedDir: dir,
      });
      assert.deepEqual(loaded.services_to_install, ['queue_service']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(
      () => resolveConfigFiles(['/tmp/config.yaml']),
      /Expected configuration files to be in \/etc\/cloudify, but got: \/tmp\/config\.yaml/,
    );
    assert.deepEqual(resolveConfigFiles(['extra.yaml']), ['/etc/cloudify/extra.yaml']);
  });

  test('a misspelt key is an error naming the key and the likely fix', () => {
    assert.throws(
      () =>
        guideConfig((d) => {
          d.postgresql_server.cluster.etcd.clustr_token = d.postgresql_server.cluster.etcd.cluster_token;
          delete d.postgresql_server.cluster.etcd.cluster_token;
        }),
      (err: Error) =>
        err instanceof ValidationError &&
        /unknown key postgresql_server\.cluster\.etcd\.clustr_token: did you mean postgresql_server\.cluster\.etcd\.cluster_token\?/.test(
          err.message,
        ),
    );
  });

  test('a wrong type names the key and what to set', () => {
    assert.throws(
      () => guideConfig((d) => (d.postgresql_server.ssl_enabled = 'yes')),
      /postgresql_server\.ssl_enabled: expected boolean/,
    );
  });

  test('a missing password is reported with the section and the key', () => {
    const c = guideConfig((d) => (d.postgresql_server.cluster.postgres.replicator_password = ''));
    assert.throws(
      () => checkPostgresInputs(c),
      /^ValidationError|Problems detected in postgresql_server\.cluster configuration: Postgres replicator password must be set\./,
    );
    const c2 = guideConfig((d) => (d.postgresql_server.postgres_password = ''));
    assert.throws(() => checkPostgresInputs(c2), /postgres_password must be set to a non-empty value/);
  });

  test('2 DB nodes is a warning, 1 DB node in a cluster is an error', () => {
    const lines: string[] = [];
    const origWrite = process.stdout.write.bind(process.stdout);
    setupLogging({ file: false, console: true });
    (process.stdout as any).write = (s: string) => lines.push(String(s)) > 0;
    try {
      checkPostgresInputs(guideConfig((d) => delete d.postgresql_server.cluster.nodes.db3));
    } finally {
      (process.stdout as any).write = origWrite;
      setupLogging({ file: false, console: false });
    }
    assert.ok(
      lines.some((l) => / - WARNING - At least 3 DB cluster nodes are recommended/.test(l)),
      lines.join(''),
    );
    const one = guideConfig((d) => {
      delete d.postgresql_server.cluster.nodes.db2;
      delete d.postgresql_server.cluster.nodes.db3;
    });
    assert.throws(() => checkPostgresInputs(one), /There must be at least 2 DB cluster nodes\./);
  });

  test('a private IP not on this host is a validation error with the available addresses', () => {
    const c = guideConfig((d) => (d.manager.private_ip = '10.9.0.99'));
    assert.throws(
      () => checkHost(c, facts),
      /Validation error\(s\):\nThe provided private IP \(10\.9\.0\.99\) is not associated with any INET-type address available on this machine \(available INET-type addresses: 127\.0\.0\.1, 10\.9\.0\.11\)/,
    );
  });

  test('a missing private IP gives the two possible solutions', () => {
    const c = guideConfig((d) => (d.manager.private_ip = ''));
    return import('../../src/installer/config/validate.js').then(({ checkInputs }) =>
      assert.throws(() => checkInputs(c), /Private IP not set in the config\.\nPossible solutions are:/),
    );
  });

  test('failover timings are configurable and checked against the Patroni rule', () => {
    const c = guideConfig(
      (d) => (d.postgresql_server.cluster.failover = { ttl: 30, loop_wait: 10, retry_timeout: 10 }),
    );
    assert.match(renderPatroniConfig(c, '10.9.0.11'), /ttl: 30\n\s+loop_wait: 10\n\s+retry_timeout: 10/);
    assert.throws(
      () =>
        guideConfig(
          (d) => (d.postgresql_server.cluster.failover = { ttl: 10, loop_wait: 5, retry_timeout: 5 }),
        ),
      /loop_wait \+ 2 \* retry_timeout must not exceed ttl/,
    );
  });

  test('generated files: etcd on TLS with v2 off, Patroni etcd3 with auth, client-cert REST, strict sync, hostssl only', () => {
    const c = guideConfig();
    const etcd = renderEtcdConf(c, '10.9.0.11', 'new');
    assert.match(etcd, /ETCD_NAME='etcd10_9_0_11'/);
    assert.match(etcd, /ETCD_INITIAL_CLUSTER='etcd10_9_0_11=https:\/\/10\.9\.0\.11:2380,etcd10_9_0_12=/);
    assert.match(etcd, /ETCD_ENABLE_V2='false'/);
    assert.match(etcd, /ETCD_PRE_VOTE='true'/);
    const patroni = parse(renderPatroniConfig(c, '10.9.0.12'));
    assert.equal(patroni.name, 'pg10_9_0_12');
    assert.equal(patroni.restapi.verify_client, 'required');
    assert.equal(patroni.etcd3.username, 'patroni');
    // This node's etcd first, and no discovery: Patroni uses it while it answers.
    assert.deepEqual(patroni.etcd3.hosts, ['10.9.0.12:2379', '10.9.0.11:2379', '10.9.0.13:2379']);
    assert.equal(patroni.etcd3.use_proxies, true);
    assert.equal(patroni.bootstrap.dcs.synchronous_mode_strict, true);
    assert.equal(patroni.bootstrap.dcs.ttl, 10);
    assert.equal(patroni.bootstrap.dcs.postgresql.parameters.wal_retrieve_retry_interval, '1s');
    assert.equal(patroni.postgresql.use_pg_rewind, true);
    const hba = pgHba(c);
    assert.ok(
      hba.every((l) => l.startsWith('hostssl ')),
      'no plain host lines',
    );
    assert.equal(hba[0], 'hostssl all postgres 10.9.0.13/32 md5');
  });

  test('after install the config file no longer holds postgresql_client.server_password; the backup is 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const f = join(dir, 'config.yaml');
    writeFileSync(
      f,
      '# my config\npostgresql_client:\n  ssl_enabled: true\n  # removed after install\n  server_password: s3cret-pw\n',
    );
    try {
      assert.deepEqual(dropServerPassword([f]), [f]);
      const after = readFileSync(f, 'utf8');
      assert.doesNotMatch(after, /s3cret-pw/);
      assert.match(after, /# my config/);
      const backup = readdirSync(dir).find((n: string) => n.endsWith('.bak'))!;
      assert.equal(statSync(join(dir, backup)).mode & 0o777, 0o600);
      assert.deepEqual(dropServerPassword([f]), [], 'nothing left to drop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('secrets from the config are scrubbed from log lines', () => {
    guideConfig();
    assert.equal(scrub('pw areallystrongandsecretpasswordforpostgres here'), 'pw ******** here');
    assert.equal(scrub('user cloudify'), 'user cloudify', 'a value used openly is not hidden');
  });
});

describe('certificates', () => {
  let ca: Awaited<ReturnType<typeof generateCa>>;
  let otherCa: Awaited<ReturnType<typeof generateCa>>;
  let leaf: Awaited<ReturnType<typeof generateLeaf>>;
  let other: Awaited<ReturnType<typeof generateLeaf>>;
  let dir: string;
  before(async () => {
    [ca, otherCa] = await Promise.all([generateCa(), generateCa()]);
    [leaf, other] = await Promise.all([
      generateLeaf('10.9.0.11', ['10.9.0.11', 'db1'], ca),
      generateLeaf('x', ['x'], otherCa),
    ]);
    dir = mkdtempSync(join(tmpdir(), 'certs-'));
    for (const [n, v] of Object.entries({
      'ca.crt': ca.certPem,
      'l.crt': leaf.certPem,
      'l.key': leaf.keyPem,
      'o.crt': other.certPem,
      'o.key': other.keyPem,
      'oca.crt': otherCa.certPem,
    }))
      writeFileSync(join(dir, n), v);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a leaf matches its key and is signed by its CA', async () => {
    assert.ok(keyMatchesCert(leaf.certPem, leaf.keyPem));
    assert.ok(await signedBy(leaf.certPem, ca.certPem));
    await checkCertTriple(join(dir, 'l.crt'), join(dir, 'l.key'), join(dir, 'ca.crt'));
  });

  test('a key that does not match its certificate is refused', async () => {
    await assert.rejects(
      checkCertTriple(join(dir, 'l.crt'), join(dir, 'o.key'), join(dir, 'ca.crt')),
      /Key .*o\.key does not match the cert .*l\.crt/,
    );
  });

  test('a certificate not signed by the given CA is refused', async () => {
    await assert.rejects(
      checkCertTriple(join(dir, 'o.crt'), join(dir, 'o.key'), join(dir, 'ca.crt')),
      /Provided certificate .*o\.crt was not signed by provided CA .*ca\.crt/,
    );
  });
});

describe('generate-test-cert', () => {
  test('needs no root: a plain user gets ~/.cloudify-test-ca with the CA and the leaf, and the exact lines', async () => {
    const { spawnSync } = await import('node:child_process');
    const { chownSync } = await import('node:fs');
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    try {
      const bin = new URL('../../bin/cfy_manager', import.meta.url).pathname;
      // As root, drop to nobody to prove the point; as a plain user, just run it.
      const asNobody = process.getuid?.() === 0;
      if (asNobody) chownSync(home, 65534, 65534);
      const argv = [
        ...(asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : []),
        process.execPath,
        bin,
      ];
      const r = spawnSync(argv[0]!, [...argv.slice(1), 'generate-test-cert', '-s', '10.9.0.11,db1'], {
        encoding: 'utf8',
        env: { ...process.env, HOME: home },
        cwd: '/',
      });
      assert.equal(r.status, 0, r.stderr);
      const dir = join(home, '.cloudify-test-ca');
      assert.equal(
        r.stdout,
        `CA cert not found, generating CA certs.\nCreated cert and key:\n  ${dir}/10.9.0.11.crt\n  ${dir}/10.9.0.11.key\n\nCA cert: ${dir}/ca.crt\n`,
      );
      assert.deepEqual(readdirSync(dir).sort(), ['10.9.0.11.crt', '10.9.0.11.key', 'ca.crt', 'ca.key']);
      const x509 = await import('@peculiar/x509');
      const cert = new x509.X509Certificate(readFileSync(join(dir, '10.9.0.11.crt'), 'utf8'));
      assert.equal(cert.subject, 'CN=10.9.0.11');
      assert.match(cert.issuer, /^CN=Cloudify generated certificate [A-Za-z]{8}$/);
      const days = (cert.notAfter.getTime() - cert.notBefore.getTime()) / 86_400_000;
      assert.equal(Math.round(days), 3651);
      assert.equal((cert.publicKey.algorithm as RsaHashedKeyAlgorithm).modulusLength, 4096);
      assert.equal(cert.signatureAlgorithm.hash.name, 'SHA-256');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('dbs list table and health', () => {
  test("cells are centred like Python's str.center", () => {
    assert.equal(pyCenter('True', 7), '  True ');
    assert.equal(pyCenter('leader', 15), '     leader    ');
    assert.equal(pyCenter('dead', 15), '      dead     ');
    const t = formatTable(
      [{ node_ip: '172.22.0.3', state: 'leader', alive: true, etcd_state: 'StateLeader', errors: [] }],
      ['node_ip', 'state', 'alive', 'etcd_state', 'errors'],
    );
    assert.equal(t.split('\n')[1], '|  node_ip   | state  | alive |  etcd_state | errors |');
    assert.equal(t.split('\n')[3], '| 172.22.0.3 | leader |  True | StateLeader |        |');
  });

  const running = (role: string, loc: number, extra: object = {}) => ({
    state: 'running',
    role,
    timeline: 2,
    xlog: role === 'master' ? { location: loc } : { replayed_location: loc },
    ...extra,
  });
  const healthy: NodeSnapshot[] = [
    {
      ip: '10.9.0.11',
      etcd: 'StateLeader',
      patroni: running('master', 100, {
        replication: [
          { application_name: 'pg10_9_0_12', sync_state: 'sync' },
          { application_name: 'pg10_9_0_13', sync_state: 'async' },
        ],
      }),
    },
    { ip: '10.9.0.12', etcd: 'StateFollower', patroni: running('replica', 100) },
    { ip: '10.9.0.13', etcd: 'StateFollower', patroni: running('replica', 100) },
  ];

  test('one leader, a sync replica and etcd consensus is healthy (0)', () => {
    const h = assess(healthy);
    assert.equal(h.code, 0);
    assert.deepEqual(
      h.rows.map((r) => r.state),
      ['leader', 'sync_replica', 'async_replica'],
    );
  });

  test('a dead replica is degraded (1); no sync replica is down (2)', () => {
    const dead = [healthy[0]!, healthy[1]!, { ip: '10.9.0.13' }];
    const h = assess(dead);
    assert.equal(h.code, 1);
    assert.deepEqual(h.rows[2]!.errors, ['Node not running', 'Could not retrieve etcd status']);
    const noSync = [
      { ...healthy[0]!, patroni: running('master', 100, { replication: [] }) },
      healthy[1]!,
      { ip: '10.9.0.13' },
    ];
    assert.equal(assess(noSync).code, 2);
    assert.ok(assess(noSync).messages.includes('No synchronous replicas found.'));
  });

  test('async lag over 2 MiB is reported; two etcd leaders is down', () => {
    const lag = [
      healthy[0]!,
      healthy[1]!,
      { ...healthy[2]!, patroni: running('replica', 100 - 3 * 1024 * 1024) },
    ];
    assert.deepEqual(assess(lag).rows[2]!.errors, ['Lag: 3.00MiB']);
    const split = [healthy[0]!, { ...healthy[1]!, etcd: 'StateLeader' }, healthy[2]!];
    assert.equal(assess(split).code, 2);
  });
});
