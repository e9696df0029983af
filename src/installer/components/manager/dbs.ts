// `cfy_manager dbs add / remove` on a manager node (cfy_manager.md §4.7): this manager's list of DB
// hosts is the host part of STRATUS_DB_URL in its env files (/etc/cloudify/manager/*.env, 0600), the
// counterpart of Cloudify's `postgresql_host` in cloudify-rest.conf. A change rewrites both files,
// updates the db_nodes row (`cfy_manager manager-db`) and restarts the REST service and the worker.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { DBManagementError, ValidationError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { redact } from '../../log.js';
import { httpsRequest, type TlsFiles } from '../../services/https.js';
import * as supervisor from '../../services/supervisor.js';
import { runManagerDb } from './register.js';
import { envFileText, MANAGER_SSL, PATRONI_PORT, PROGRAMS, REST_ENV, WORKER_ENV } from './render.js';
import { waitForRest } from './rest.js';

const URL_KEY = 'STRATUS_DB_URL';

/** Where this manager keeps its env files and how it reaches Patroni (tests point them elsewhere). */
export interface DbsSite {
  envFiles: string[];
  tls: TlsFiles;
  patroniPort: number;
}

const MANAGER_SITE: DbsSite = {
  envFiles: [REST_ENV, WORKER_ENV],
  tls: { ca: MANAGER_SSL.pgCa, cert: MANAGER_SSL.pgCert, key: MANAGER_SSL.pgKey },
  patroniPort: PATRONI_PORT,
};
const urlHost = (h: string) => (h.includes(':') ? `[${h}]` : h);

/** `KEY='value'` lines of an env file written by envFileText, in order. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(?:'([^']*)'|"([^"]*)")$/.exec(line.trim());
    if (m) out[m[1]!] = m[2] ?? m[3] ?? '';
  }
  return out;
}

const URL_RE = /^(postgres(?:ql)?:\/\/[^@/]*@)([^/]*)(\/.*)$/;

/** The hosts of a database URL (`h1:5432,[::1]:5432`), without ports or brackets. */
export function dbUrlHosts(url: string): string[] {
  const m = URL_RE.exec(url);
  if (!m) throw new ValidationError(`${URL_KEY} in ${REST_ENV} is not a postgres:// URL`);
  return m[2]!
    .split(',')
    .filter(Boolean)
    .map((hp) => {
      const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hp);
      return v6 ? v6[1]! : hp.replace(/:\d+$/, '');
    });
}

/** The same URL with these hosts (port 5432 each). */
export function withDbUrlHosts(url: string, hosts: string[]): string {
  const m = URL_RE.exec(url);
  if (!m) throw new ValidationError(`${URL_KEY} in ${REST_ENV} is not a postgres:// URL`);
  return `${m[1]}${hosts.map((h) => `${urlHost(h)}:5432`).join(',')}${m[3]}`;
}

function readEnv(path: string): Record<string, string> {
  if (!existsSync(path)) {
    throw new DBManagementError(`${path} is missing: run cfy_manager install on this manager first.`);
  }
  const env = parseEnvFile(readFileSync(path, 'utf8'));
  if (!env[URL_KEY]) throw new DBManagementError(`${path} has no ${URL_KEY}: run cfy_manager configure.`);
  redact(env[URL_KEY]);
  return env;
}

/** This manager's current database URL and its hosts. */
export function currentDbHosts(site: DbsSite = MANAGER_SITE): { url: string; hosts: string[] } {
  const url = readEnv(site.envFiles[0]!)[URL_KEY]!;
  return { url, hosts: dbUrlHosts(url) };
}

function writeHosts(site: DbsSite, hosts: string[]): void {
  for (const path of site.envFiles) {
    const env = readEnv(path);
    env[URL_KEY] = withDbUrlHosts(env[URL_KEY]!, hosts);
    writeFileSync(path, envFileText(env), { mode: 0o600 });
  }
}

/** Patroni's answer on https://<a>:8008/ with the manager's DB client certificate (undefined: none). */
function patroniGet(address: string, site: DbsSite = MANAGER_SITE, timeoutMs = 5000) {
  return httpsRequest(`https://${urlHost(address)}:${site.patroniPort}/`, { tls: site.tls, timeoutMs });
}

const isLeader = (r: Awaited<ReturnType<typeof patroniGet>>) =>
  r?.status === 200 && (r.json?.role === 'master' || r.json?.role === 'primary');

/** The db_nodes row, through `cfy_manager manager-db` with this manager's own database URL. */
async function changeRow(config: Config, action: string, address: string, dbUrl: string) {
  const c = config.postgresql_client;
  await runManagerDb({ action, dbNodeAddress: address, dbUrl, dbUser: c.cloudify_username });
}

async function apply(config: Config, site: DbsSite, hosts: string[], log: Logger): Promise<void> {
  writeHosts(site, hosts);
  for (const p of PROGRAMS) await supervisor.restart(p);
  await waitForRest(config, log);
}

export async function addDbNode(
  config: Config,
  address: string,
  log: Logger,
  site: DbsSite = MANAGER_SITE,
): Promise<void> {
  const { url, hosts } = currentDbHosts(site);
  if (hosts.includes(address)) {
    throw new DBManagementError(`${address} is already a DB node of this manager.`);
  }
  const answer = await patroniGet(address, site);
  if (!answer?.body.trim()) {
    throw new DBManagementError(
      `DB cluster node ${address} does not appear to be operational: Patroni did not answer on https://${urlHost(address)}:${site.patroniPort}. Install the DB node first, then retry.`,
    );
  }
  await changeRow(config, 'add-db-node', address, url);
  await apply(config, site, [...hosts, address], log);
  log.info(`Added ${address} to this manager's DB nodes; restarted ${PROGRAMS.join(' and ')}.`);
}

export async function removeDbNode(
  config: Config,
  address: string,
  log: Logger,
  site: DbsSite = MANAGER_SITE,
): Promise<void> {
  const { url, hosts } = currentDbHosts(site);
  if (!hosts.includes(address)) {
    throw new DBManagementError(
      `${address} is not a DB node of this manager (its DB nodes: ${hosts.join(', ')}).`,
    );
  }
  if (isLeader(await patroniGet(address, site))) {
    throw new DBManagementError(
      `${address} is the master. Please set the master to a different node before retrying this command.`,
    );
  }
  const rest = hosts.filter((h) => h !== address);
  if (rest.length === 0) {
    throw new DBManagementError(
      'The last DB node cannot be removed. A new DB node must be added before removing the target node.',
    );
  }
  // The row goes through one of the remaining hosts: the one being removed may already be gone.
  await changeRow(config, 'remove-db-node', address, withDbUrlHosts(url, rest));
  await apply(config, site, rest, log);
  log.info(`Removed ${address} from this manager's DB nodes; restarted ${PROGRAMS.join(' and ')}.`);
}
