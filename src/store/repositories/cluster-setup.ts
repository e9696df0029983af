// The database side of installing a manager (cfy_manager.md §6.4): the cloudify user and database,
// the schema version, what a joining manager is checked against, the rows of the cluster registry
// (managers, brokers, DB nodes) and the key the managers share.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Db } from '../port.js';

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;
const one = async (db: Db, sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(sql, params))[0]!.n;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677, 4096 iterations), so that
 * CREATE/ALTER USER never carries the password itself: the server logs a failed statement's text. A
 * password outside printable ASCII is sent as is, since PostgreSQL first applies SASLprep to it.
 */
function passwordClause(password: string): string {
  if (!/^[\x20-\x7e]*$/.test(password)) return literal(password);
  const salt = randomBytes(16);
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return literal(`SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey}:${serverKey}`);
}

/** As the superuser: the cloudify user and database, when missing. True when the database was created. */
export async function createCloudifyDb(
  su: Db,
  d: { dbName: string; dbUser: string; dbPassword: string },
): Promise<boolean> {
  if ((await one(su, 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [d.dbName])) > 0)
    return false;
  const exists = await one(su, 'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [d.dbUser]);
  // CREATE/ALTER USER take no bind parameters: the password goes as its SCRAM verifier.
  const verb = exists > 0 ? 'ALTER' : 'CREATE';
  await su.exec(
    `${verb} USER ${ident(d.dbUser)} WITH LOGIN CREATEDB PASSWORD ${passwordClause(d.dbPassword)}`,
  );
  await su.exec(`CREATE DATABASE ${ident(d.dbName)} OWNER ${ident(d.dbUser)}`);
  await su.exec(`GRANT ALL PRIVILEGES ON DATABASE ${ident(d.dbName)} TO ${ident(d.dbUser)}`);
  return true;
}

/** The newest migration applied; 0 on an empty database. */
export async function schemaVersion(db: Db): Promise<number> {
  const tables = await one(
    db,
    "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'schema_migrations'",
  );
  if (tables === 0) return 0;
  const v = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return v[0]!.v ?? 0;
}

export async function countManagers(db: Db, hostname: string, others: boolean): Promise<number> {
  return one(db, `SELECT count(*)::int AS n FROM managers WHERE hostname ${others ? '<>' : '='} $1`, [
    hostname,
  ]);
}

/** The internal CA (PEM) of the first registered manager, and the admin's password hash. */
export async function clusterJoinFacts(db: Db): Promise<{ ca?: string; adminHash?: string }> {
  const ca = await db.query<{ value: string }>(
    'SELECT c.value FROM managers m JOIN certificates c ON c.id = m._ca_cert_id ORDER BY m.id LIMIT 1',
  );
  const admin = await db.query<{ password: string }>('SELECT password FROM users WHERE id = 0');
  return { ca: ca[0]?.value, adminHash: admin[0]?.password };
}

/** The bootstrap admin (id 0) under the name config.yaml gives it (manager.security.admin_username). */
export async function renameAdmin(db: Db, username: string): Promise<void> {
  await db.query('UPDATE users SET username = $1 WHERE id = 0', [username]);
}

/** The admin's new password hash; its failed-login counter cleared and the account active. */
export async function setAdminPasswordHash(db: Db, hash: string): Promise<string | undefined> {
  const rows = await db.query<{ username: string }>(
    `UPDATE users SET password = $1, failed_logins_counter = 0, active = true WHERE id = 0
     RETURNING username`,
    [hash],
  );
  return rows[0]?.username;
}

async function upsertCertificate(db: Db, name: string, value: string): Promise<number | null> {
  if (!value) return null;
  const rows = await db.query<{ id: number }>(
    `INSERT INTO certificates (name, value) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now() RETURNING id`,
    [name, value],
  );
  return rows[0]!.id;
}

interface BrokerRow {
  name: string;
  host: string;
  port: number;
  networks: Record<string, string>;
}

/** The brokers and DB nodes of the cluster, in one transaction (the first manager's install). */
export async function registerBrokersAndDbNodes(
  db: Db,
  r: {
    brokers: BrokerRow[];
    brokerCaCert: string;
    brokersExternal: boolean;
    dbNodes: { name: string; host: string; is_external: boolean }[];
  },
): Promise<void> {
  await db.transaction(async (tx) => {
    const caId = await upsertCertificate(tx, 'rabbitmq-ca', r.brokerCaCert);
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

export interface ManagerRow {
  hostname: string;
  privateIp: string;
  publicIp: string;
  networks: Record<string, string>;
  caCert: string;
  version: { version: string; edition: string; distribution: string; distro_release: string };
}

/** This manager's row with its CA as the certificate `<hostname>-ca`; networks already there are kept. */
export async function upsertManagerRow(db: Db, m: ManagerRow): Promise<void> {
  await db.transaction(async (tx) => {
    const caId = await upsertCertificate(tx, `${m.hostname}-ca`, m.caCert);
    await tx.query(
      `INSERT INTO managers (hostname, private_ip, public_ip, version, edition, distribution, distro_release,
         networks, last_seen, _ca_cert_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, now(), $9)
       ON CONFLICT (hostname) DO UPDATE SET private_ip = excluded.private_ip, public_ip = excluded.public_ip,
         version = excluded.version, networks = managers.networks || excluded.networks, last_seen = now(),
         _ca_cert_id = excluded._ca_cert_id`,
      [
        m.hostname,
        m.privateIp,
        m.publicIp,
        m.version.version,
        m.version.edition,
        m.version.distribution,
        m.version.distro_release,
        JSON.stringify(m.networks),
        caId,
      ],
    );
  });
}

export async function deleteManagerRow(db: Db, hostname: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM managers WHERE hostname = $1', [hostname]);
    await tx.query('DELETE FROM certificates WHERE name = $1', [`${hostname}-ca`]);
  });
}

/**
 * Merges new networks into a manager's row. Returns undefined when the manager is not registered, or
 * the names it already has.
 */
export async function addManagerNetworks(
  db: Db,
  hostname: string,
  add: Record<string, string>,
): Promise<{ networks: Record<string, string> } | { taken: string[] } | undefined> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ networks: Record<string, string> | null }>(
      'SELECT networks FROM managers WHERE hostname = $1 FOR UPDATE',
      [hostname],
    );
    if (rows.length === 0) return undefined;
    const current = rows[0]!.networks ?? {};
    const taken = Object.keys(add).filter((n) => n in current);
    if (taken.length > 0) return { taken };
    const networks = { ...current, ...add };
    await tx.query('UPDATE managers SET networks = $1::text::jsonb WHERE hostname = $2', [
      JSON.stringify(networks),
      hostname,
    ]);
    return { networks };
  });
}

/** The cluster's shared key of this name: the one stored, or `fresh` stored now (the first manager). */
export async function sharedKey(db: Db, name: string, fresh: string): Promise<string> {
  await db.query('INSERT INTO cluster_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    fresh,
  ]);
  const rows = await db.query<{ value: string }>('SELECT value FROM cluster_keys WHERE name = $1', [name]);
  return rows[0]!.value;
}

/** `dbs add` on a manager (§4.7): the node's row, named by its address, when no row has that host. */
export async function addDbNodeRow(db: Db, host: string): Promise<boolean> {
  const rows = await db.query<{ name: string }>(
    `INSERT INTO db_nodes (name, host, is_external) SELECT $1, $1, false
     WHERE NOT EXISTS (SELECT 1 FROM db_nodes WHERE host = $1) ON CONFLICT DO NOTHING RETURNING name`,
    [host],
  );
  return rows.length > 0;
}

/** `dbs remove` on a manager (§4.7): the row of that address. */
export async function deleteDbNodeRow(db: Db, host: string): Promise<boolean> {
  const rows = await db.query<{ name: string }>('DELETE FROM db_nodes WHERE host = $1 RETURNING name', [
    host,
  ]);
  return rows.length > 0;
}

/**
 * A manager that finds no broker or no DB node registered (the all-in-one: embedded default or a single
 * server setup) registers the ones it uses, named after itself; rows already there are left alone.
 */
export async function registerOwnServices(
  db: Db,
  own: { name: string; brokerHost: string; brokerPort: number; dbHost: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO rabbitmq_brokers (name, host, management_host, port, networks, is_external)
       SELECT $1, $2, $2, $3, $4::text::jsonb, false WHERE NOT EXISTS (SELECT 1 FROM rabbitmq_brokers)
       ON CONFLICT (name) DO NOTHING`,
      [own.name, own.brokerHost, own.brokerPort, JSON.stringify({ default: own.brokerHost })],
    );
    await tx.query(
      `INSERT INTO db_nodes (name, host, is_external) SELECT $1, $2, false
       WHERE NOT EXISTS (SELECT 1 FROM db_nodes) ON CONFLICT (name) DO NOTHING`,
      [own.name, own.dbHost],
    );
  });
}
