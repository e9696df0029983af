// `cfy_manager manager-db`, the database side of installing a manager (cfy_manager.md §6.4), against a
// throwaway PostgreSQL 15: the first manager creates the user and database, seeds the admin and
// registers managers/brokers/db_nodes; a joiner with another CA, a wrong admin password, or a
// database of another schema version is refused in one message and leaves no row; remove deletes it;
// `dbs add/remove` on a manager insert and delete the db_nodes row of an address.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { RegisterRequest } from '../../src/entry/manager-db-shared.js';
import { verifyPassword } from '../../src/manager/auth/passwords.js';
import { freePort, startPostgres, type TestPostgres } from '../helpers/postgres.js';

const CFY_MANAGER = fileURLToPath(new URL('../../bin/cfy_manager', import.meta.url));
const SUPER_PW = 'super-pw-for-tests';
const ADMIN = 'admin-guide-password-1';
const CA_A = '-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----\n';
const CA_B = '-----BEGIN CERTIFICATE-----\nQkJC\n-----END CERTIFICATE-----\n';

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres({ password: SUPER_PW });
});
after(async () => {
  await pg?.stop();
});

function request(over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    action: 'register',
    superUrl: `postgres://postgres:${SUPER_PW}@127.0.0.1:${pg.port}/postgres`,
    dbUrl: `postgres://cloudify:cloudify-pw@127.0.0.1:${pg.port}/cloudify_db`,
    dbUser: 'cloudify',
    dbPassword: 'cloudify-pw',
    dbName: 'cloudify_db',
    hostname: 'manager1',
    privateIp: '10.9.0.31',
    publicIp: '10.9.0.31',
    networks: { default: '10.9.0.31', 'load-balancer': '10.9.0.40' },
    adminUsername: 'admin',
    adminPassword: ADMIN,
    caCert: CA_A,
    brokers: ['21', '22', '23'].map((n, i) => ({
      name: `rabbit${i + 1}`,
      host: `10.9.0.${n}`,
      port: 5671,
      networks: { default: `10.9.0.${n}` },
    })),
    brokerCaCert: CA_A,
    brokersExternal: false,
    dbNodes: ['11', '12', '13'].map((n, i) => ({
      name: `db${i + 1}`,
      host: `10.9.0.${n}`,
      is_external: false,
    })),
    ...over,
  };
}

function managerDb(req: RegisterRequest) {
  const r = spawnSync(process.execPath, [CFY_MANAGER, 'manager-db'], {
    input: JSON.stringify(req),
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

async function withDb<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(`postgres://postgres:${SUPER_PW}@127.0.0.1:${pg.port}/cloudify_db`, { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

const joiner = (over: Partial<RegisterRequest> = {}) =>
  request({ hostname: 'manager2', privateIp: '10.9.0.32', publicIp: '10.9.0.32', ...over });

describe('cfy_manager manager-db', () => {
  let firstKey = '';

  test('the first manager creates the user and database, the admin, and the cluster rows', async () => {
    const r = managerDb(request());
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.equal(answer.first, true);
    assert.equal(answer.joined, false);
    assert.equal(answer.otherManagers, 0, 'the sanity check runs');
    assert.equal(answer.adminPassword, ADMIN);
    assert.equal(Buffer.from(answer.secretsKey, 'base64').length, 32);
    firstKey = answer.secretsKey;
    await withDb(async (sql) => {
      const owner =
        await sql`SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = 'cloudify_db'`;
      assert.equal(owner[0]!.o, 'cloudify');
      const m = await sql`SELECT m.hostname, m.private_ip, m.networks, c.name, c.value
        FROM managers m JOIN certificates c ON c.id = m._ca_cert_id`;
      assert.equal(m.length, 1);
      assert.equal(m[0]!.name, 'manager1-ca');
      assert.equal(m[0]!.value, CA_A);
      assert.deepEqual(m[0]!.networks, { default: '10.9.0.31', 'load-balancer': '10.9.0.40' });
      const b = await sql`SELECT name, host, port, is_external FROM rabbitmq_brokers ORDER BY name`;
      assert.deepEqual(
        b.map((x) => `${x.name}@${x.host}:${x.port}:${x.is_external}`),
        ['rabbit1@10.9.0.21:5671:false', 'rabbit2@10.9.0.22:5671:false', 'rabbit3@10.9.0.23:5671:false'],
      );
      const d = await sql`SELECT name, host FROM db_nodes ORDER BY name`;
      assert.deepEqual(
        d.map((x) => `${x.name}@${x.host}`),
        ['db1@10.9.0.11', 'db2@10.9.0.12', 'db3@10.9.0.13'],
      );
      const admin = await sql`SELECT username, password FROM users WHERE id = 0`;
      assert.equal(admin[0]!.username, 'admin');
      assert.ok(await verifyPassword(ADMIN, admin[0]!.password));
      const t = await sql`SELECT name FROM tenants WHERE id = 0`;
      assert.equal(t[0]!.name, 'default_tenant');
    });
  });

  test('a re-run on the first manager refreshes its row, needs no superuser, keeps the admin password', async () => {
    // …without the superuser: the install dropped server_password from config.yaml.
    const r = managerDb(
      request({
        adminPassword: 'a-different-password',
        publicIp: '192.0.2.31',
        superUrl: `postgres://postgres:wrong@127.0.0.1:${pg.port}/postgres`,
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.equal(answer.first, false);
    assert.equal(answer.joined, false);
    await withDb(async (sql) => {
      const admin = await sql`SELECT password FROM users WHERE id = 0`;
      assert.ok(await verifyPassword(ADMIN, admin[0]!.password), 'the admin password is unchanged');
      const m = await sql`SELECT public_ip FROM managers WHERE hostname = 'manager1'`;
      assert.equal(m[0]!.public_ip, '192.0.2.31');
    });
  });

  test('a joiner with another CA, or the wrong admin password, is refused with every issue and adds no row', async () => {
    const r = managerDb(joiner({ caCert: CA_B, adminPassword: 'not-the-password' }));
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      [
        'Existing cluster could not be joined due to configuration issues. Please run cfy_manager remove, then fix the configuration issues before reinstalling. Issues were:',
        '- ssl_inputs.ca_cert_path is not the CA of the managers already registered: every manager must use the same internal CA',
        "- manager.security.admin_password is not the cluster's current admin password: set it to the password of the first manager",
      ].join('\n'),
    );
    const empty = managerDb(joiner({ adminPassword: '' }));
    assert.match(empty.stderr, /admin_password must be set to the cluster's current admin password/);
    const n = await withDb((sql) => sql`SELECT count(*)::int AS n FROM managers`);
    assert.equal(n[0]!.n, 1);
  });

  test('a joiner with the shared CA and the admin password joins and gets the same secrets key', async () => {
    const r = managerDb(joiner());
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.equal(answer.joined, true);
    assert.equal(answer.otherManagers, 1, 'a joiner runs no sanity check');
    assert.equal(answer.first, false);
    assert.equal(answer.secretsKey, firstKey);
    const rows = await withDb((sql) => sql`SELECT hostname FROM managers ORDER BY id`);
    assert.deepEqual(
      rows.map((x) => x.hostname),
      ['manager1', 'manager2'],
    );
  });

  test('a database of another schema version is refused with the revision numbers', async () => {
    await withDb((sql) => sql`INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future')`);
    try {
      const r = managerDb(joiner({ hostname: 'manager3', privateIp: '10.9.0.33' }));
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^Database schema version mismatch: this manager expects schema revision \d+ but the database is 999\)$/,
      );
    } finally {
      await withDb((sql) => sql`DELETE FROM schema_migrations WHERE version = 999`);
    }
  });

  test('unregister (remove) deletes only this manager and its CA row', async () => {
    const r = managerDb(joiner({ action: 'unregister' }));
    assert.equal(r.code, 0, r.stderr);
    const rows = await withDb((sql) => sql`SELECT hostname FROM managers`);
    assert.deepEqual(
      rows.map((x) => x.hostname),
      ['manager1'],
    );
    const ca = await withDb((sql) => sql`SELECT name FROM certificates WHERE name LIKE 'manager%'`);
    assert.deepEqual(
      ca.map((x) => x.name),
      ['manager1-ca'],
    );
  });

  test("add-networks merges into this manager's networks; a name it has is refused", async () => {
    const r = managerDb(request({ action: 'add-networks', newNetworks: { lan2: '10.1.0.5' } }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).networks, {
      default: '10.9.0.31',
      'load-balancer': '10.9.0.40',
      lan2: '10.1.0.5',
    });
    const again = managerDb(request({ action: 'add-networks', newNetworks: { lan2: '10.1.0.6' } }));
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      'Network name lan2 already exists. Choose a different name or remove it first.',
    );
    const row = await withDb((sql) => sql`SELECT networks FROM managers WHERE hostname = 'manager1'`);
    assert.equal(row[0]!.networks.lan2, '10.1.0.5');
  });

  test('reset-admin-password sets the hash, clears failed logins and reactivates the admin', async () => {
    await withDb((sql) => sql`UPDATE users SET failed_logins_counter = 5, active = false WHERE id = 0`);
    const r = managerDb(request({ action: 'reset-admin-password', newPassword: 'a-new-admin-pw' }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { username: 'admin' });
    const u = await withDb(
      (sql) => sql`SELECT password, failed_logins_counter, active FROM users WHERE id = 0`,
    );
    assert.ok(await verifyPassword('a-new-admin-pw', u[0]!.password));
    assert.equal(u[0]!.failed_logins_counter, 0);
    assert.equal(u[0]!.active, true);
  });

  test('add-db-node / remove-db-node (dbs add/remove on a manager): the db_nodes row of the address', async () => {
    const hosts = async () =>
      (await withDb((sql) => sql`SELECT name, host FROM db_nodes ORDER BY host`)).map(
        (x) => `${x.name}@${x.host}`,
      );
    const change = (action: RegisterRequest['action'], dbNodeAddress: string) => {
      const r = managerDb(request({ action, dbNodeAddress }));
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).changed as boolean;
    };
    assert.equal(change('add-db-node', '10.9.0.14'), true);
    assert.deepEqual(await hosts(), [
      'db1@10.9.0.11',
      'db2@10.9.0.12',
      'db3@10.9.0.13',
      '10.9.0.14@10.9.0.14',
    ]);
    // A host that has a row already (under its install name, or added before) gets no second one.
    assert.equal(change('add-db-node', '10.9.0.14'), false);
    assert.equal(change('add-db-node', '10.9.0.12'), false);
    assert.equal(change('remove-db-node', '10.9.0.12'), true);
    assert.equal(change('remove-db-node', '10.9.0.99'), false);
    assert.deepEqual(await hosts(), ['db1@10.9.0.11', 'db3@10.9.0.13', '10.9.0.14@10.9.0.14']);
    const empty = managerDb(request({ action: 'add-db-node', dbNodeAddress: ' ' }));
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, 'The DB node address is empty');
  });

  test('an unreachable database is one line, not a stack trace', async () => {
    const port = await freePort();
    const r = managerDb(
      request({
        superUrl: `postgres://postgres:x@127.0.0.1:${port}/postgres`,
        dbUrl: `postgres://cloudify:x@127.0.0.1:${port}/cloudify_db`,
      }),
    );
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^Cannot connect to the database as the PostgreSQL superuser/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
