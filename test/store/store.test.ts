import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTemplate, openEmbedded } from '../../src/store/embedded.js';
import { listMigrations, migrate } from '../../src/store/migrate.js';
import { sqlState } from '../../src/store/port.js';
import { parseDbUrl } from '../../src/store/server.js';
import { forEachDriver } from '../helpers/drivers.js';

forEachDriver('store', (fx) => {
  test('migrations create every table of the model and re-running applies nothing', async () => {
    const db = await fx.open();
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    );
    const names = tables.map((t) => t.table_name);
    for (const t of [
      'tenants',
      'users',
      'roles',
      'users_tenants',
      'tokens',
      'blueprints',
      'deployments',
      'nodes',
      'node_instances',
      'executions',
      'events',
      'logs',
      'tasks_graphs',
      'operations',
      'secrets',
      'plugins',
      'managers',
      'rabbitmq_brokers',
      'db_nodes',
      'licenses',
      'config',
    ]) {
      assert.ok(names.includes(t), `missing table ${t}`);
    }
    assert.deepEqual(await migrate(db), []);
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    assert.equal(rows[0].n, listMigrations().length);
  });

  test('a unique violation surfaces SQL state 23505 and leaves nothing written', async () => {
    const db = await fx.open();
    await db.query("INSERT INTO tenants (name) VALUES ('t1')");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tenants (name) VALUES ('t2')");
        await tx.query("INSERT INTO tenants (name) VALUES ('t1')");
      }),
      (err) => sqlState(err) === '23505',
    );
    const rows = await db.query<{ name: string }>('SELECT name FROM tenants ORDER BY name');
    assert.deepEqual(
      rows.map((r) => r.name),
      ['t1'],
    );
  });

  test('jsonb and timestamps round-trip the same on both drivers', async () => {
    const db = await fx.open();
    const value = { a: [1, 'x', null], nested: { ok: true }, unicode: 'ü€' };
    await db.query('INSERT INTO config (name, scope, value) VALUES ($1, $2, $3::text::jsonb)', [
      'k',
      'rest',
      JSON.stringify(value),
    ]);
    const [row] = await db.query<{ value: unknown; updated_at: Date }>(
      "SELECT value, updated_at FROM config WHERE name = 'k' AND scope = 'rest'",
    );
    assert.deepEqual(row.value, value);
    assert.ok(row.updated_at instanceof Date);
  });

  test('node instance updates with a stale version change nothing (optimistic lock)', async () => {
    const db = await fx.open();
    await db.query("INSERT INTO tenants (id, name) VALUES (0, 'default_tenant')");
    await db.query("INSERT INTO users (id, username, password) VALUES (0, 'admin', 'x')");
    const [bp] = await db.query<{ _storage_id: number }>(
      "INSERT INTO blueprints (id, _tenant_id, _creator_id, state) VALUES ('bp', 0, 0, 'uploaded') RETURNING _storage_id",
    );
    const [dep] = await db.query<{ _storage_id: number }>(
      "INSERT INTO deployments (id, _tenant_id, _creator_id, _blueprint_fk) VALUES ('d', 0, 0, $1) RETURNING _storage_id",
      [bp._storage_id],
    );
    const [node] = await db.query<{ _storage_id: number }>(
      "INSERT INTO nodes (id, _tenant_id, _creator_id, _deployment_fk, type) VALUES ('n', 0, 0, $1, 't') RETURNING _storage_id",
      [dep._storage_id],
    );
    await db.query(
      "INSERT INTO node_instances (id, _tenant_id, _creator_id, _node_fk) VALUES ('n_1', 0, 0, $1)",
      [node._storage_id],
    );
    const update = (version: number) =>
      db.query(
        "UPDATE node_instances SET state = 'started', version = version + 1 WHERE id = 'n_1' AND version = $1 RETURNING version",
        [version],
      );
    assert.equal((await update(1)).length, 1);
    assert.equal((await update(1)).length, 0);
    const [ni] = await db.query<{ version: number; state: string }>(
      'SELECT version, state FROM node_instances',
    );
    assert.deepEqual({ ...ni }, { version: 2, state: 'started' });
  });

  test('data survives a reopen', async () => {
    const db = await fx.open();
    await db.query("INSERT INTO tenants (name) VALUES ('persisted')");
    const loc = fx.lastLocation();
    await db.close();
    const { openStore } = await import('../../src/store/open.js');
    const again = await openStore(loc);
    try {
      const rows = await again.query<{ name: string }>("SELECT name FROM tenants WHERE name = 'persisted'");
      assert.equal(rows.length, 1);
    } finally {
      await again.close();
    }
  });
});

test('database URLs accept several hosts and TLS settings', () => {
  const o = parseDbUrl(
    'postgres://cloudify:p%40ss@10.0.0.1:5432,db2:5433/cloudify_db?sslmode=verify-full&sslrootcert=/ca.pem',
  );
  assert.deepEqual(o.hosts, [
    { host: '10.0.0.1', port: 5432 },
    { host: 'db2', port: 5433 },
  ]);
  assert.equal(o.password, 'p@ss');
  assert.equal(o.database, 'cloudify_db');
  assert.equal(o.sslmode, 'verify-full');
  assert.equal(o.sslrootcert, '/ca.pem');
  assert.throws(() => parseDbUrl('mysql://x'), /Invalid database URL/);
  assert.throws(() => parseDbUrl('postgres://h/db?sslmode=bogus'), /Unsupported sslmode/);
});

test('database URLs may name the Patroni REST API of the cluster, and only a port number', () => {
  const base =
    'postgres://cloudify:pw@10.0.0.1,10.0.0.2,10.0.0.3/cloudify_db?sslmode=verify-full&sslrootcert=/ca.pem';
  const o = parseDbUrl(`${base}&sslcert=/c.pem&sslkey=/k.pem&patroni_port=8008`);
  assert.equal(o.patroniPort, 8008);
  assert.equal(o.patroniCa, undefined, 'the DB CA (sslrootcert) is used unless patroni_ca is given');
  assert.deepEqual(
    o.hosts.map((h) => h.port),
    [5432, 5432, 5432],
  );
  const own = parseDbUrl(
    `${base}&patroni_port=8009&patroni_ca=/p.pem&patroni_cert=/pc.pem&patroni_key=/pk.pem`,
  );
  assert.deepEqual(
    [own.patroniPort, own.patroniCa, own.patroniCert, own.patroniKey],
    [8009, '/p.pem', '/pc.pem', '/pk.pem'],
  );
  assert.equal(
    parseDbUrl(base).patroniPort,
    undefined,
    'without patroni_port the session check alone decides',
  );
  assert.throws(
    () => parseDbUrl(`${base}&patroni_port=https`),
    /^Error: Invalid patroni_port "https" .*8008$/,
  );
});

test('a new embedded data directory starts as a copy of the template; one in use is never overwritten', async () => {
  const root = mkdtempSync(join(tmpdir(), 'stratus-template-'));
  try {
    const template = join(root, 'template');
    await makeTemplate(template);
    const fresh = await openEmbedded(join(root, 'fresh'), template);
    // Migrated before any migrate() of its own: the copy, not an initdb.
    const rows = await fresh.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    assert.equal(rows[0]?.n, listMigrations().length);
    await fresh.exec('CREATE TABLE mine (x int); INSERT INTO mine VALUES (1)');
    await fresh.close();
    const again = await openEmbedded(join(root, 'fresh'), template);
    assert.deepEqual(await again.query('SELECT x FROM mine'), [{ x: 1 }]);
    await again.close();
    // A directory with anything in it is PGlite's to open (here: to initialise), not the template's.
    const used = join(root, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'note'), 'x');
    const other = await openEmbedded(used, template);
    assert.deepEqual(await other.query("SELECT to_regclass('schema_migrations') AS t"), [{ t: null }]);
    await other.close();
    assert.ok(readdirSync(used).includes('note'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
