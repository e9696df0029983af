// manager_service against a database and a queue it did not install ("External DB and queue"): the test
// itself starts PostgreSQL 15 (initdb, TLS with the lab's test CA, pg_hba for the lab subnet, client
// certificates required) and RabbitMQ (TLS on 5671, a `cloudify` user) in a lab node `ext`, then installs
// a manager with postgresql_client.host and rabbitmq.is_external pointing at them. The manager registers
// both as external, runs a blueprint's install workflow, and `remove` takes it out again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { GUIDE_SECRETS } from '../../src/lab/guide-config.js';
import { startTestLab, type TestLab } from '../../src/lab/testing.js';
import { cfy, nodeFile, nodeIp } from './lab-helpers.js';
import { LAB_ADMIN, managerDoc } from './manager-guide.js';

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root: the lab creates namespaces, and the installer runs as root';
const CLI = fileURLToPath(new URL('../../bin/cfy', import.meta.url));
const JOURNEY = fileURLToPath(new URL('../cli/fixtures/hello_scripts', import.meta.url));
const PG_DATA = '/var/lib/postgresql/ext-data';

/** initdb as postgres (the password from stdin), TLS, pg_hba for the lab subnet with client certificates. */
const PG_SCRIPT = `set -eu
IP=$1 NET=$2 B=/usr/lib/postgresql/15/bin H=/var/lib/postgresql D=${PG_DATA}
cd /
install -d -o postgres -g postgres -m 0755 /run/postgresql
install -o postgres -g postgres -m 0600 /root/.cloudify-test-ca/$IP.key $H/server.key
install -o postgres -g postgres -m 0644 /root/.cloudify-test-ca/$IP.crt $H/server.crt
install -o postgres -g postgres -m 0644 /root/.cloudify-test-ca/ca.crt $H/ca.crt
umask 077
cat > $H/pw
chown postgres $H/pw
runuser -u postgres -- $B/initdb -D $D -U postgres --pwfile=$H/pw --auth-local=peer --auth-host=scram-sha-256 >/dev/null
rm -f $H/pw
cat >> $D/postgresql.conf <<EOF
listen_addresses = '$IP'
unix_socket_directories = '/run/postgresql'
ssl = on
ssl_cert_file = '$H/server.crt'
ssl_key_file = '$H/server.key'
ssl_ca_file = '$H/ca.crt'
EOF
cat > $D/pg_hba.conf <<EOF
local all postgres peer
hostssl all all $NET scram-sha-256 clientcert=verify-ca
EOF
runuser -u postgres -- $B/pg_ctl -D $D -l $H/ext.log -w -t 60 start >/dev/null
`;

/** RabbitMQ as the rabbitmq user under the node's supervisord: TLS only, the user from stdin's password. */
const RABBIT_SCRIPT = `set -eu
IP=$1 R=/etc/rabbitmq
cd /
install -o rabbitmq -g rabbitmq -m 0400 /root/.cloudify-test-ca/$IP.key $R/key.pem
install -m 0644 /root/.cloudify-test-ca/$IP.crt $R/cert.pem
install -m 0644 /root/.cloudify-test-ca/ca.crt $R/ca.pem
umask 077
PW=$(cat)
cat > $R/rabbitmq.conf <<EOF
listeners.tcp = none
listeners.ssl.default = 5671
ssl_options.cacertfile = $R/ca.pem
ssl_options.certfile = $R/cert.pem
ssl_options.keyfile = $R/key.pem
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
loopback_users = none
default_user = cloudify
default_pass = $PW
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = true
log.file = false
EOF
chown rabbitmq:rabbitmq $R/rabbitmq.conf
umask 022
echo '[].' > $R/enabled_plugins
install -d -o rabbitmq -g rabbitmq -m 0750 /var/lib/rabbitmq/log
printf 'NODENAME=rabbit@localhost\nLOG_BASE=/var/lib/rabbitmq/log\n' > $R/rabbitmq-env.conf
cat > /etc/supervisord.d/ext-rabbitmq.conf <<EOF
[program:ext-rabbitmq]
command=/usr/lib/rabbitmq/bin/rabbitmq-server
user=rabbitmq
directory=/var/lib/rabbitmq
environment=HOME="/var/lib/rabbitmq",LANG="C.UTF-8",LC_ALL="C.UTF-8"
redirect_stderr=true
stdout_logfile=/var/log/ext-rabbitmq.log
stopwaitsecs=30
EOF
supervisorctl -c /etc/supervisor/supervisord.conf update >/dev/null
`;

/** Resolves once a TLS listener answers on host:port (any certificate), false after `ms`. */
async function tlsUp(host: string, port: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, rejectUnauthorized: false, timeout: 2000 });
      s.once('secureConnect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

describe('manager_service with an external database and queue', { skip, timeout: 900_000 }, () => {
  let t: TestLab;
  let work: string;
  const ip = (n: string) => nodeIp(t.lab, n);
  const ca = () => nodeFile(t.lab, 'ext', 'root/.cloudify-test-ca/ca.crt');
  const hadOptManager = existsSync('/opt/manager');

  const get = (path: string): Promise<{ status: number; body: string } | undefined> =>
    new Promise((resolve) => {
      const auth = Buffer.from(`admin:${LAB_ADMIN}`).toString('base64');
      const req = request(
        {
          host: ip('manager1'),
          port: 443,
          path,
          ca: readFileSync(ca()),
          timeout: 10_000,
          agent: false,
          headers: { tenant: 'default_tenant', authorization: `Basic ${auth}` },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(undefined));
      req.end();
    });
  const cli = (args: string[]) =>
    spawnSync(CLI, args, {
      env: { ...process.env, CFY_WORKDIR: work, CLOUDIFY_PASSWORD: LAB_ADMIN },
      encoding: 'utf8',
      timeout: 300_000,
    });
  /** A command as the postgres user, from / (the node's working directory is root's home). */
  const asPostgres = (cmd: string[], input?: string) =>
    t.lab.exec('ext', ['sh', '-c', 'cd / && exec runuser -u postgres -- "$@"', 'sh', ...cmd], { input });
  const psql = (sql: string) =>
    asPostgres([
      '/usr/lib/postgresql/15/bin/psql',
      '-h',
      '/run/postgresql',
      '-d',
      'cloudify_db',
      '-tAc',
      sql,
    ]);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'manager-external-cfy-'));
    t = await startTestLab({
      name: 'extq',
      nodes: [
        { name: 'ext', roles: [] },
        { name: 'manager1', roles: ['manager' as const] },
      ],
    });
  });
  let failed = false;
  afterEach((c) => {
    if ((c as { passed?: boolean }).passed === false) failed = true;
  });
  after(async () => {
    if (failed && t) {
      const keep = mkdtempSync(join(tmpdir(), 'manager-external-logs-'));
      for (const n of ['ext', 'manager1'])
        cpSync(nodeFile(t.lab, n, 'var/log'), join(keep, n), { recursive: true });
      process.stdout.write(`# node logs kept in ${keep}\n`);
    }
    if (t && existsSync(nodeFile(t.lab, 'ext', `${PG_DATA}/postmaster.pid`))) {
      const pgCtl = '/usr/lib/postgresql/15/bin/pg_ctl';
      await asPostgres([pgCtl, '-D', PG_DATA, '-m', 'fast', 'stop']).catch(() => undefined);
    }
    await t?.down();
    rmSync(work, { recursive: true, force: true });
    // The lab does not give each node its own /opt: the manager's data dir is the host's.
    if (!hadOptManager) rmSync('/opt/manager', { recursive: true, force: true });
  });

  test('the test starts PostgreSQL 15 and RabbitMQ with TLS in the ext node', async () => {
    for (const n of ['ext', 'manager1']) {
      const r = await cfy(t.lab, 'ext', ['generate-test-cert', '-s', `${ip(n)},${n}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const caDir = 'root/.cloudify-test-ca';
    cpSync(nodeFile(t.lab, 'ext', caDir), nodeFile(t.lab, 'manager1', caDir), { recursive: true });
    const subnet = `${ip('ext').split('.').slice(0, 3).join('.')}.0/24`;
    const pg = await t.lab.exec('ext', ['sh', '-c', PG_SCRIPT, 'sh', ip('ext'), subnet], {
      input: GUIDE_SECRETS.postgresPassword,
    });
    assert.equal(pg.code, 0, pg.stdout + pg.stderr);
    const rabbit = await t.lab.exec('ext', ['sh', '-c', RABBIT_SCRIPT, 'sh', ip('ext')], {
      input: GUIDE_SECRETS.rabbitPassword,
    });
    assert.equal(rabbit.code, 0, rabbit.stdout + rabbit.stderr);
    assert.ok(await tlsUp(ip('ext'), 5671, 120_000), 'RabbitMQ listens on 5671');
  });

  test('cfy_manager install against them succeeds', async () => {
    const doc = managerDoc({ self: ip('manager1'), dbs: [], brokers: [{ name: 'ext', ip: ip('ext') }] });
    doc.postgresql_client.host = ip('ext');
    doc.rabbitmq.is_external = true;
    doc.services_to_install = ['manager_service'];
    writeFileSync(nodeFile(t.lab, 'manager1', 'etc/cloudify/config.yaml'), stringify(doc));
    const r = await cfy(t.lab, 'manager1', ['install'], 600_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    process.stdout.write(`# manager1 install (external): ${/Finished in [^\n]*/.exec(r.stdout)?.[0]}\n`);
    // §6.9: the only manager runs the sanity check during install.
    const sanity = /Sanity check passed in [^\n]*/.exec(r.stdout + r.stderr)?.[0];
    assert.ok(sanity, 'the install ran the sanity check');
    process.stdout.write(`# manager1 ${sanity}\n`);
    assert.equal((await get('/api/v3.1/status'))?.status, 200);
  });

  test('db-nodes and brokers list the external services', async () => {
    const dbs = await get('/api/v3.1/db-nodes');
    assert.equal(dbs?.status, 200, dbs?.body);
    const dbItems = JSON.parse(dbs!.body).items as { host: string; is_external: boolean }[];
    assert.deepEqual(
      dbItems.map((d) => [d.host, d.is_external]),
      [[ip('ext'), true]],
    );
    const brokers = await get('/api/v3.1/brokers');
    assert.equal(brokers?.status, 200, brokers?.body);
    const bItems = JSON.parse(brokers!.body).items as { name: string; host: string; is_external: boolean }[];
    assert.deepEqual(
      bItems.map((b) => [b.name, b.host, b.is_external]),
      [['ext', ip('ext'), true]],
    );
    const cs = await get('/api/v3.1/cluster-status');
    assert.equal(cs?.status, 200, cs?.body);
    const services = JSON.parse(cs!.body).services;
    assert.deepEqual(services.db, { is_external: true, status: 'OK' });
    assert.deepEqual(services.broker, { is_external: true, status: 'OK' });
  });

  test('cfy: a blueprint, a deployment and its install workflow on the manager', () => {
    mkdirSync(work, { recursive: true });
    const use = [
      'profiles',
      'use',
      ip('manager1'),
      '-u',
      'admin',
      '-t',
      'default_tenant',
      '--ssl',
      '-c',
      ca(),
    ];
    const steps = [
      use,
      ['blueprints', 'upload', JOURNEY, '-b', 'journey'],
      ['deployments', 'create', 'ext1', '-b', 'journey', '-i', 'greeting=external'],
      ['executions', 'start', 'install', '-d', 'ext1', '--timeout', '180'],
    ];
    for (const args of steps) {
      const r = cli(args);
      assert.equal(r.status, 0, `cfy ${args.slice(0, 2).join(' ')}: ${r.stdout}${r.stderr}`);
      if (args[1] === 'start')
        assert.match(r.stdout, /^Finished executing workflow install on deployment ext1$/m);
    }
    const outputs = cli(['deployments', 'outputs', 'ext1', '--json']);
    assert.equal(JSON.parse(outputs.stdout).said.value, 'external', outputs.stdout + outputs.stderr);
  });

  test('remove stops the manager and takes its row out of the external database', async () => {
    const before = await psql('select count(*) from managers');
    assert.equal(before.stdout.trim(), '1', before.stdout + before.stderr);
    const r = await cfy(t.lab, 'manager1', ['remove']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await get('/api/v3.1/status'), undefined, 'nothing listens on 443');
    assert.ok(!existsSync(nodeFile(t.lab, 'manager1', 'etc/cloudify/manager/restservice.env')));
    const left = await psql('select count(*) from managers');
    assert.equal(left.stdout.trim(), '0', left.stdout + left.stderr);
  });
});
