// The action of `cfy_manager manager-db` (hidden, declared in manager-db-command.ts): the database side
// of installing a manager (cfy_manager.md §6.4), run by the installer's manager component as a child
// process. It reads one JSON request on stdin (the passwords never touch argv) and writes one JSON
// answer on stdout; a refusal is one line on stderr and exit 1. `register`: create the DB user and
// database when missing (as the superuser, on the leader), migrate and seed on the first manager,
// validate a joining manager, insert its row. `unregister`: delete this manager's row (remove).
// `add-networks`, `reset-admin-password`, `add-db-node` and `remove-db-node` (manager-admin.ts) serve
// the cfy_manager commands `add-networks`, `reset-admin-password`, `dbs add` and `dbs remove`.
import { randomBytes } from 'node:crypto';
import { type ManagerConfig, VERSION } from '../manager/config.js';
import { hashPassword, verifyPassword } from '../manager/auth/passwords.js';
import { bootstrap } from '../manager/bootstrap.js';
import { listMigrations, migrate } from '../store/migrate.js';
import type { Db } from '../store/port.js';
import {
  clusterJoinFacts,
  countManagers,
  createCloudifyDb,
  deleteManagerRow,
  registerBrokersAndDbNodes,
  renameAdmin,
  schemaVersion,
  setAdminPasswordHash,
  sharedKey,
  upsertManagerRow,
} from '../store/repositories/cluster-setup.js';
import { open, type RegisterRequest, Refusal } from './manager-db-shared.js';
import type { RegisterAnswer } from '../common/manager-register.js';

const pem = (s: string) => s.replace(/\s+/g, '');

/** As the superuser: the cloudify user and database, when missing. True when the database was created. */
async function prepareDb(r: RegisterRequest): Promise<boolean> {
  const su = await open(r.superUrl, 'the PostgreSQL superuser (postgresql_client.server_password)');
  try {
    return await createCloudifyDb(su, r);
  } finally {
    await su.close();
  }
}

async function joinIssues(db: Db, r: RegisterRequest): Promise<string[]> {
  const issues: string[] = [];
  const facts = await clusterJoinFacts(db);
  if (facts.ca && pem(facts.ca) !== pem(r.caCert)) {
    issues.push(
      '- ssl_inputs.ca_cert_path is not the CA of the managers already registered: every manager must use the same internal CA',
    );
  }
  if (!r.adminPassword) {
    issues.push("- manager.security.admin_password must be set to the cluster's current admin password");
  } else if (facts.adminHash && !(await verifyPassword(r.adminPassword, facts.adminHash))) {
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
  if (!boot.adminPassword) await setAdminPasswordHash(db, await hashPassword(adminPassword));
  if (r.adminUsername && r.adminUsername !== 'admin') await renameAdmin(db, r.adminUsername);
  await registerBrokersAndDbNodes(db, r);
}

const upsertSelf = (db: Db, r: RegisterRequest) => upsertManagerRow(db, { ...r, version: VERSION });

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
    const count = async (others: boolean) => (empty ? 0 : countManagers(db, r.hostname, others));
    // Registered already: a re-run of configure, which refreshes the row and leaves the rest alone (§6.4).
    const again = (await count(false)) > 0;
    const others = await count(true);
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
    const secretsKey = await sharedKey(db, 'secrets_key', randomBytes(32).toString('base64'));
    return {
      first: created || empty,
      joined: !again && others > 0,
      adminPassword,
      secretsKey,
      otherManagers: others,
      registered: again,
    };
  } finally {
    await db.close();
  }
}

function randomAlnum(n: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
}

async function unregister(r: RegisterRequest): Promise<void> {
  const db = await open(r.dbUrl, `${r.dbUser} (postgresql_client.cloudify_password)`);
  try {
    if ((await schemaVersion(db)) === 0) return;
    await deleteManagerRow(db, r.hostname);
  } finally {
    await db.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers the one request on stdin: the answer on stdout, or a refusal on stderr and exit 1. */
export async function answerRequest(): Promise<void> {
  const r = JSON.parse(await readStdin()) as RegisterRequest;
  try {
    if (r.action === 'unregister') {
      await unregister(r);
      process.stdout.write('{}\n');
    } else if (r.action === 'add-db-node' || r.action === 'remove-db-node') {
      const { changeDbNode } = await import('./manager-admin.js');
      process.stdout.write(`${JSON.stringify(await changeDbNode(r))}\n`);
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
}
