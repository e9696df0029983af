// The validations of reference §2.5, with Cloudify's messages. `checkInputs` runs first and raises at
// once; host checks are collected and raised together; postgres and certificate checks raise at once.
// All of it runs before anything on the host changes.
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, totalmem } from 'node:os';
import { ValidationError } from '../errors.js';
import { Logger } from '../log.js';
import { keyMatchesCert, signedBy } from '../certs/x509.js';
import { has, isDbCluster } from './derive.js';
import type { Config } from './schema.js';

const log = new Logger('validations');

export function checkInputs(config: Config): void {
  for (const [key, flag, label] of [
    ['private_ip', '--private-ip', 'Private'],
    ['public_ip', '--public-ip', 'Public'],
  ] as const) {
    if (!config.manager[key]) {
      throw new ValidationError(
        `${label} IP not set in the config.\nPossible solutions are:\n1. Set the \`${key}\` key in /etc/cloudify/config.yaml\n2. Use the \`${flag}\` flag when running \`cfy_manager install/configure\``,
      );
    }
  }
}

export function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined)
    .map((a) => a!.address);
}

export interface HostFacts {
  addresses: string[];
  memoryMb: number;
  diskGb: number;
  distro: string;
  version: string;
}

export function hostFacts(): HostFacts {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(osRelease)?.[1] ?? '';
  let diskGb = Number.POSITIVE_INFINITY;
  try {
    const s = statfsSync(existsSync('/opt') ? '/opt' : '/');
    diskGb = (s.bavail * s.bsize) / 1024 ** 3;
  } catch {}
  return {
    addresses: localAddresses(),
    memoryMb: totalmem() / 1024 ** 2,
    diskGb,
    distro: field('ID'),
    version: field('VERSION_ID'),
  };
}

/** Host checks, raised together as `Validation error(s):`. Skipped with validations.skip_validations. */
export function checkHost(config: Config, facts: HostFacts = hostFacts()): void {
  const v = config.validations;
  const errors: string[] = [];
  const ip = config.manager.private_ip;
  if (isIP(ip) && !facts.addresses.includes(ip)) {
    errors.push(
      `The provided private IP (${ip}) is not associated with any INET-type address available on this machine (available INET-type addresses: ${facts.addresses.join(', ')}). Please make sure the provided private IP is correct, or set the 'skip_validations' parameter to 'true' in the config file to skip this validation.`,
    );
  }
  const needMem = v.minimum_required_total_physical_memory_in_mb;
  if (facts.memoryMb < needMem) {
    errors.push(
      `The provided host does not have enough memory to run Cloudify Manager (Current: ${Math.floor(facts.memoryMb)}MB, Required: ${needMem}MB).`,
    );
  }
  const needDisk = v.minimum_required_available_disk_space_in_gb;
  if (facts.diskGb < needDisk) {
    errors.push(
      `The provided host does not have enough disk space to run Cloudify Manager (Current: ${Math.floor(facts.diskGb)}GB, Required: ${needDisk}GB).`,
    );
  }
  if (!v.supported_distros.includes(facts.distro)) {
    errors.push(
      `Cloudify manager does not support the current distro (\`${facts.distro}\`), supported distros are: [${v.supported_distros.join(', ')}]`,
    );
  } else if (!v.supported_distro_versions.some((x) => facts.version.startsWith(x))) {
    errors.push(
      `Cloudify manager does not support the current distro version (\`${facts.version}\`), supported versions are: [${v.supported_distro_versions.join(', ')}]`,
    );
  }
  if (errors.length > 0) throw new ValidationError(`Validation error(s):\n${errors.join('\n')}`);
}

export function checkEnvironment(config: Config, env: NodeJS.ProcessEnv = process.env): void {
  const bad: string[] = [];
  for (const [name, patterns] of Object.entries(config.validations.expected_env)) {
    for (const p of patterns)
      if (!new RegExp(`^${p}$`).test(env[name] ?? '')) bad.push(`${name} must match ${p}`);
  }
  if (bad.length > 0) throw new ValidationError(`Environment variables mismatch: ${bad.join(', ')}`);
}

export function checkPostgresInputs(config: Config): void {
  const db = has(config, 'database_service');
  const manager = has(config, 'manager_service');
  const server = config.postgresql_server;
  const client = config.postgresql_client;
  const cluster = isDbCluster(config);
  const local = ['localhost', '127.0.0.1', '::1', ''].includes(client.host);
  if (db && manager) {
    if (!local)
      throw new ValidationError('Cannot install database_service when connecting to an external database');
    if (cluster) throw new ValidationError('Postgres cluster nodes cannot be installed on manager nodes.');
  }
  if (db && !manager && cluster && !server.postgres_password) {
    throw new ValidationError(
      'When using an external database with a Postgres Cluster, postgres_password must be set to a non-empty value',
    );
  }
  if (
    db &&
    !manager &&
    !cluster &&
    Boolean(server.enable_remote_connections) !== Boolean(server.postgres_password)
  ) {
    throw new ValidationError(
      'When using an external database, both enable_remote_connections and postgres_password must be set',
    );
  }
  if (manager && !db && !cluster && local && !client.server_password) {
    throw new ValidationError('When using an external database, postgres_password must be set');
  }
  for (const [name, n] of Object.entries(server.cluster.nodes)) {
    if (!n.ip)
      throw new ValidationError(
        `When using a Postgres Cluster ip must be set for each DB node (${name} has none)`,
      );
  }
  if (server.ssl_client_verification && !server.ssl_only_connections) {
    throw new ValidationError(
      'When using ssl_client_verification, ssl_only_connections must be enabled to ensure client certificates are always checked.',
    );
  }
  if (
    client.server_username === client.cloudify_username ||
    client.server_db_name === client.cloudify_db_name
  ) {
    throw new ValidationError(
      'server_username and server_db_name must differ from cloudify_username and cloudify_db_name',
    );
  }
  if (db && !manager && cluster) {
    const problems: string[] = [];
    const count = Object.keys(server.cluster.nodes).length;
    if (count < 2) problems.push('There must be at least 2 DB cluster nodes.');
    else if (count < 3)
      log.warning('At least 3 DB cluster nodes are recommended; with 2, losing one node stops the cluster.');
    const etcd = server.cluster.etcd;
    if (!etcd.cluster_token || !etcd.root_password || !etcd.patroni_password) {
      problems.push('Etcd cluster token and passwords must be set.');
    }
    if (!server.cluster.patroni.rest_user || !server.cluster.patroni.rest_password) {
      problems.push('Patroni rest username and password must be set.');
    }
    if (!server.cluster.postgres.replicator_password)
      problems.push('Postgres replicator password must be set.');
    if (problems.length > 0) {
      throw new ValidationError(
        `Problems detected in postgresql_server.cluster configuration: ${problems.join(' ')}`,
      );
    }
  }
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(
      `Cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** A cert/key/CA triple: present, readable, the key matches and the CA signed the cert. */
export async function checkCertTriple(
  certPath: string,
  keyPath: string,
  caPath: string | undefined,
  keyPassword?: string,
): Promise<void> {
  const cert = read(certPath, 'certificate');
  const key = read(keyPath, 'key');
  let matches = false;
  try {
    matches = keyMatchesCert(cert, key, keyPassword);
  } catch (err) {
    throw new ValidationError(`Cannot load ${certPath} or ${keyPath}: ${(err as Error).message}`);
  }
  if (!matches) throw new ValidationError(`Key ${keyPath} does not match the cert ${certPath}`);
  if (caPath) {
    const ca = read(caPath, 'CA certificate');
    if (!(await signedBy(cert, ca))) {
      throw new ValidationError(`Provided certificate ${certPath} was not signed by provided CA ${caPath}`);
    }
  }
}

export async function checkPostgresCertificates(config: Config): Promise<void> {
  const server = config.postgresql_server;
  if (has(config, 'database_service') && (server.ssl_enabled || isDbCluster(config))) {
    const missing = (['cert_path', 'key_path', 'ca_path'] as const).filter((k) => !server[k]);
    if (missing.length > 0) {
      throw new ValidationError(
        `If Postgresql requires SSL communication (ssl_enabled or a cluster), ${missing.map((k) => `postgresql_server.${k}`).join(', ')} must be provided in config.yaml in /etc/cloudify/config.yaml`,
      );
    }
    await checkCertTriple(server.cert_path, server.key_path, server.ca_path);
  }
  if (server.ca_path && !config.postgresql_client.ca_path) config.postgresql_client.ca_path = server.ca_path;
}

export async function checkPrometheusCertificates(config: Config): Promise<void> {
  const p = config.prometheus;
  if (has(config, 'monitoring_service') && p.cert_path && p.key_path) {
    await checkCertTriple(p.cert_path, p.key_path, p.ca_path || undefined);
  }
}

/** Everything, in Cloudify's order. `--only-install` skips the input and host checks. */
export async function validateConfig(
  config: Config,
  opts: { onlyInstall?: boolean; facts?: HostFacts } = {},
) {
  if (!opts.onlyInstall) checkInputs(config);
  if (!config.validations.skip_validations && !opts.onlyInstall) {
    checkHost(config, opts.facts);
    checkEnvironment(config);
  }
  checkPostgresInputs(config);
  await checkPostgresCertificates(config);
  await checkPrometheusCertificates(config);
}
