// The database side of a manager install (§6.4), done by `cfy_manager manager-db` in a child process
// (the installer may not open the store itself). The request, with its passwords, goes on stdin; the
// child's refusal (one line, or the join issues) becomes this run's error.
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { ClusteringError, NetworkError, ValidationError } from '../../errors.js';
import { run } from '../../exec.js';
import { redact } from '../../log.js';
import { brokers, CFY_MANAGER_BIN, dbHosts, dbUrl, type SslFiles, sourceSsl } from './render.js';
import type { RegisterAnswer } from '../../../common/manager-register.js';

function readPem(path: string, key: string): string {
  if (!path) return '';
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(
      `Cannot read ${key} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The JSON request of `cfy_manager manager-db` (see src/entry/manager-db.ts). */
type DbAction =
  | 'register'
  | 'unregister'
  | 'add-networks'
  | 'reset-admin-password'
  | 'add-db-node'
  | 'remove-db-node';

export function registerRequest(config: Config, action: DbAction, files: SslFiles) {
  const m = config.manager;
  const c = config.postgresql_client;
  const cluster = Object.entries(config.postgresql_server.cluster.nodes);
  const dbNodes =
    cluster.length > 0
      ? cluster.map(([name, n]) => ({ name, host: n.ip, is_external: false }))
      : dbHosts(config).map((h) => ({ name: h, host: h, is_external: true }));
  return {
    action,
    superUrl: dbUrl(config, 'superuser', files),
    dbUrl: dbUrl(config, 'cloudify', files),
    dbUser: c.cloudify_username,
    dbPassword: c.cloudify_password,
    dbName: c.cloudify_db_name,
    hostname: m.hostname,
    privateIp: m.private_ip,
    publicIp: m.public_ip,
    networks: config.networks,
    adminUsername: m.security.admin_username,
    adminPassword: m.security.admin_password,
    caCert: readPem(config.ssl_inputs.ca_cert_path, 'ssl_inputs.ca_cert_path'),
    brokers: brokers(config),
    brokerCaCert: readPem(config.rabbitmq.ca_path, 'rabbitmq.ca_path'),
    brokersExternal: config.rabbitmq.is_external,
    dbNodes,
  };
}

function refusal(text: string): Error {
  if (text.startsWith('Existing cluster could not be joined')) return new ClusteringError(text);
  if (text.startsWith('Database schema version mismatch')) {
    return new ValidationError(text, {
      fix: 'Install the same Stratus version as the managers already in the cluster.',
    });
  }
  if (text.startsWith('Cannot connect to the database')) {
    return new NetworkError(text, {
      fix: 'Check the database address, its password in config.yaml and that the database service is running.',
    });
  }
  return new ValidationError(text);
}

/** Runs one `cfy_manager manager-db` action; `extra` joins the request (new networks, new password). */
export async function manageDb(
  config: Config,
  action: DbAction,
  extra: Record<string, unknown> = {},
  files: SslFiles = sourceSsl(config),
): Promise<string> {
  return runManagerDb({ ...registerRequest(config, action, files), ...extra });
}

/** One `cfy_manager manager-db` request as it is (its passwords on stdin); its stdout, or the refusal. */
export async function runManagerDb(req: Record<string, unknown>): Promise<string> {
  const r = await run([process.execPath, CFY_MANAGER_BIN, 'manager-db'], {
    input: JSON.stringify(req),
    ignoreFailure: true,
    timeoutMs: 180_000,
  });
  if (r.code !== 0) {
    const text = r.stderr.trim() || r.stdout.trim() || `cfy_manager manager-db exited with ${r.code}`;
    throw refusal(text);
  }
  return r.stdout;
}

/** First manager: creates and seeds the database; later ones are validated and join. */
export async function registerManager(config: Config): Promise<RegisterAnswer> {
  const out = await manageDb(config, 'register');
  const answer = JSON.parse(out.trim().split('\n').pop()!) as RegisterAnswer;
  redact(answer.adminPassword, answer.secretsKey);
  return answer;
}

export async function unregisterManager(config: Config): Promise<void> {
  await manageDb(config, 'unregister');
}
