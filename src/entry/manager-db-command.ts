// `cfy_manager manager-db` (hidden): the database side of installing a manager (cfy_manager.md §6.4),
// run by the installer's manager component as a child process. It reads one JSON request on stdin (the
// passwords never touch argv) and writes one JSON answer on stdout; a refusal is one line on stderr
// and exit 1. `register`: create the DB user and database when missing (as the superuser, on the
// leader), migrate and seed on the first manager, validate a joining manager, insert its row.
// `unregister`: delete this manager's row (remove).
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { type ManagerConfig, VERSION } from '../manager/config.js';
import { hashPassword, verifyPassword } from '../manager/auth/passwords.js';
import { bootstrap } from '../manager/bootstrap.js';
import { listMigrations, migrate } from '../store/migrate.js';
import type { Db } from '../store/port.js';
import { open, type RegisterRequest, Refusal } from './manager-db-shared.js';

export type { RegisterRequest } from './manager-db-shared.js';

export interface RegisterAnswer {
  first: boolean;
  joined: boolean;
  adminPassword: string;
  secretsKey: string;
}

const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const lit = (v: string) => `'${v.replaceAll("'", "''")}'`;

/** As the superuser: the cloudify user and database, when missing. True when the database was created. */
async function prepareDb(r: RegisterRequest): Promise<boolean> {
  const su = await open(r.superUrl, 'the PostgreSQL superuser (postgresql_client.server_password)');
  try {
    const dbs = await su.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1',
      [r.dbName],
    );
    if (dbs[0]!.n > 0) return false;
    const users = await su.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1',
      [r.dbUser],
    );
    // CREATE/ALTER USER take no bind parameters; the password is a quoted literal (never logged).
    const verb = users[0]!.n > 0 ? 'ALTER' : 'CREATE';
    await su.exec(`${verb} USER ${q(r.dbUser)} WITH LOGIN CREATEDB PASSWORD ${lit(r.dbPassword)}`);
    await su.exec(`CREATE DATABASE ${q(r.dbName)} OWNER ${q(r.dbUser)}`);
    await su.exec(`GRANT ALL PRIVILEGES ON DATABASE ${q(r.dbName)} TO ${q(r.dbUser)}`);
    return true;
  } finally {
    await su.close();
  }
}

async function ensureKeyTable(db: Db): Promise<string> {
  // The secrets key every manager of the cluster shares (Cloudify keeps it in the replicated
  // rest-security.conf); the first manager creates it.
  await db.exec('CREATE TABLE IF NOT EXISTS installer_keys (name text PRIMARY KEY, value text NOT NULL)');
  await db.query('INSERT INTO installer_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    'secrets_key',
    randomBytes(32).toString('base64'),
  ]);
  const rows = await db.query<{ value: string }>(
    "SELECT value FROM installer_keys WHERE name = 'secrets_key'",
  );
  return rows[0]!.value;
}

async function schemaVersion(db: Db): Promise<number> {
  const t = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'schema_migrations'",
  );
  if (t[0]!.n === 0) return 0;
  const v = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return v[0]!.v ?? 0;
}

const pem = (s: string) => s.replace(/\s+/g, '');

async function joinIssues(db: Db, r: RegisterRequest): Promise<string[]> {
  const issues: string[] = [];
  const ca = await db.query<{ value: string }>(
    `SELECT c.value FROM managers m JOIN certificates c ON c.id = m._ca_cert_id ORDER BY m.id LIMIT 1`,
  );
  if (ca.length > 0 && pem(ca[0]!.value) !== pem(r.caCert)) {
    issues.push(
      '- ssl_inputs.ca_cert_path is not the CA of the managers already registered: every manager must use the same internal CA',
    );
  }
  const admin = await db.query<{ password: string }>('SELECT password FROM users WHERE id = 0');
  if (!r.adminPassword) {
    issues.push("- manager.security.admin_password must be set to the cluster's current admin password");
  } else if (admin.length > 0 && !(await verifyPassword(r.adminPassword, admin[0]!.password))) {
    issues.push(
      "- manager.security.admin_password is not the cluster's current admin password: set it to the password of the first manager",
    );
  }
  return issues;
}

async function seed(db: Db, r: RegisterRequest, adminPassword: string): Promise<void> {
  await migrate(db);
  const settings = { adminPassword, hostname: r.hostname, privateIp: r.privateIp, publicIp: r.publicIp };
  const boot = await bootstrap(db, settings as ManagerConfig);
  // A database kept from an earlier install: the admin exists; this install's password wins (Cloudify).
  if (!boot.adminPassword)
    await db.query('UPDATE users SET password = $1 WHERE id = 0', [await hashPassword(adminPassword)]);
  await db.transaction(async (tx) => {
    const caId = await certificate(tx, 'rabbitmq-ca', r.brokerCaCert);
    for (const b of r.brokers) {
      await tx.query(
        `INSERT INTO rabbitmq_brokers (name, host, management_host, port, networks, is_external, _ca_cert_id)
         VALUES ($1, $2, $2, $3, $4::text::jsonb, $5, $6) ON CONFLICT (name) DO UPDATE SET host = excluded.host,
         management_host = excluded.host, port = excluded.port, networks = excluded.networks,
         is_external = excluded.is_external, _ca_cert_id = excluded._ca_cert_id`,
        [b.name, b.host, b.port, JSON.stringify(b.networks), r.brokersExternal, caId],
      );
    }
    for (const n of r.dbNodes) {
      await tx.query(
        `INSERT INTO db_nodes (name, host, is_external) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET host = excluded.host, is_external = excluded.is_external`,
        [n.name, n.host, n.is_external],
      );
    }
  });
}

async function certificate(db: Db, name: string, value: string): Promise<number | null> {
  if (!value) return null;
  const rows = await db.query<{ id: number }>(
    `INSERT INTO certificates (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now() RETURNING id`,
    [name, value],
  );
  return rows[0]!.id;
}

async function upsertSelf(db: Db, r: RegisterRequest): Promise<void> {
  await db.transaction(async (tx) => {
    const caId = await certificate(tx, `${r.hostname}-ca`, r.caCert);
    await tx.query(
      `INSERT INTO managers (hostname, private_ip, public_ip, version, edition, distribution, distro_release,
         networks, last_seen, _ca_cert_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, now(), $9)
       ON CONFLICT (hostname) DO UPDATE SET private_ip = excluded.private_ip, public_ip = excluded.public_ip,
         version = excluded.version, networks = managers.networks || excluded.networks, last_seen = now(),
         _ca_cert_id = excluded._ca_cert_id`,
      [
        r.hostname,
        r.privateIp,
        r.publicIp,
        VERSION.version,
        VERSION.edition,
        VERSION.distribution,
        VERSION.distro_release,
        JSON.stringify(r.networks),
        caId,
      ],
    );
  });
}

export async function register(r: RegisterRequest): Promise<RegisterAnswer> {
  const as = `${r.dbUser} (postgresql_client.cloudify_password)`;
  // The superuser is needed only while the database or its user is missing (a re-run after the
  // install dropped postgresql_client.server_password from config.yaml must not need it).
  let created = false;
  let db: Db;
  try {
    db = await open(r.dbUrl, as);
  } catch {
    created = await prepareDb(r);
    db = await open(r.dbUrl, as);
  }
  try {
    const expected = Math.max(...listMigrations().map((m) => m.version));
    const found = await schemaVersion(db);
    const empty = found === 0;
    if (!empty && found !== expected) {
      throw new Refusal(
        `Database schema version mismatch: this manager expects schema revision ${expected} but the database is ${found})`,
      );
    }
    const count = async (where: string) =>
      empty
        ? 0
        : (
            await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM managers WHERE ${where}`, [
              r.hostname,
            ])
          )[0]!.n;
    // Registered already: a re-run of configure, which refreshes the row and leaves the rest alone (§6.4).
    const again = (await count('hostname = $1')) > 0;
    const others = await count('hostname <> $1');
    let adminPassword = r.adminPassword;
    if (!again && others > 0) {
      const issues = await joinIssues(db, r);
      if (issues.length > 0) {
        throw new Refusal(
          `Existing cluster could not be joined due to configuration issues. Please run cfy_manager remove, then fix the configuration issues before reinstalling. Issues were:\n${issues.join('\n')}`,
        );
      }
    } else if (!again) {
      if (!adminPassword) adminPassword = randomAlnum(12);
      await seed(db, r, adminPassword);
    }
    await upsertSelf(db, r);
    const secretsKey = await ensureKeyTable(db);
    return { first: created || empty, joined: !again && others > 0, adminPassword, secretsKey };
  } finally {
    await db.close();
  }
}

function randomAlnum(n: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
}

export async function unregister(r: RegisterRequest): Promise<void> {
  const db = await open(r.dbUrl, `${r.dbUser} (postgresql_client.cloudify_password)`);
  try {
    if ((await schemaVersion(db)) === 0) return;
    await db.query('DELETE FROM managers WHERE hostname = $1', [r.hostname]);
    await db.query('DELETE FROM certificates WHERE name = $1', [`${r.hostname}-ca`]);
  } finally {
    await db.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerManagerDbCommand(program: Command): void {
  program
    .command('manager-db', { hidden: true })
    .description('Database side of installing a manager (used by install; reads JSON on stdin)')
    .action(async () => {
      const r = JSON.parse(await readStdin()) as RegisterRequest;
      try {
        if (r.action === 'unregister') {
          await unregister(r);
          process.stdout.write('{}\n');
        } else if (r.action === 'add-networks' || r.action === 'reset-admin-password') {
          const { addNetworks, resetAdminPassword } = await import('./manager-admin.js');
          const out = r.action === 'add-networks' ? await addNetworks(r) : await resetAdminPassword(r);
          process.stdout.write(`${JSON.stringify(out)}\n`);
        } else {
          process.stdout.write(`${JSON.stringify(await register(r))}\n`);
        }
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
