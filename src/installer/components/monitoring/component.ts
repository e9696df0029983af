// monitoring_service (cfy_manager.md §7): Prometheus 2.42 and its exporters as supervisord programs.
// Prometheus itself serves 8009 to the other nodes (TLS + bcrypt basic auth, docs/decisions.md) where
// Cloudify puts nginx in front; the exporters listen on 127.0.0.1 only. configure re-renders every
// file, has promtool check them, then restarts the programs and waits until Prometheus is ready.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import bcrypt from 'bcryptjs';
import { parse } from 'yaml';
import { lookupIds } from '../../certs/deploy.js';
import { isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { ValidationError } from '../../errors.js';
import { run } from '../../exec.js';
import { type Logger, redact } from '../../log.js';
import { PATRONI_CA, PG_DATA } from '../../paths.js';
import type { PackageSpec } from '../../services/apt.js';
import { httpsRequest } from '../../services/https.js';
import * as supervisor from '../../services/supervisor.js';
import { MANAGER_SSL } from '../manager/render.js';
import type { Component, ComponentContext } from '../types.js';
import { deployMonitoringCerts, validateMonitoring } from './certs.js';
import { ensureMonitoringUser } from './db-user.js';
import {
  BIN,
  postgresDsn,
  renderBlackbox,
  renderPrograms,
  renderPrometheusConfig,
  renderTargets,
  renderWebConfig,
  roles,
  shellEnvFile,
  targetFiles,
} from './render.js';
import { ruleFiles } from './rules.js';
import {
  type Credentials,
  MONITORING_PORT,
  type MonLayout,
  monitoringCredentials,
  PROGRAMS,
  PRODUCTION_LAYOUT,
  urlHost,
} from './settings.js';

const USER = 'prometheus';
const ALL_PROGRAMS = [PROGRAMS.blackbox, PROGRAMS.postgres, PROGRAMS.node, PROGRAMS.prometheus];
/** The Debian units of the packages: never started by apt (policy-rc.d), and disabled where systemd runs. */
const DEBIAN_UNITS = [
  'prometheus',
  'prometheus-node-exporter',
  'prometheus-postgres-exporter',
  'prometheus-blackbox-exporter',
];

type Ids = { uid: number; gid: number };

function writeOwned(path: string, text: string, mode: number, ids: Ids): void {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  chownSync(path, ids.uid, ids.gid);
}

/** The credentials, which must not be empty (a manager's generated admin password is known by now). */
export function requireCredentials(config: Config): Credentials {
  const creds = monitoringCredentials(config);
  if (!creds.username || !creds.password) {
    throw new ValidationError(
      'prometheus.credentials.username and password are empty and this node has no fallback for them: set prometheus.credentials (the same on every node) in config.yaml',
    );
  }
  redact(creds.password);
  return creds;
}

/** The credentials configure installed (start and a re-read config may lack a generated admin password). */
export function installedCredentials(layout: MonLayout): Credentials {
  try {
    const doc = parse(readFileSync(layout.webConfig, 'utf8')) as {
      basic_auth_users?: Record<string, string>;
    };
    const username = Object.keys(doc.basic_auth_users ?? {})[0] ?? '';
    return { username, password: readFileSync(layout.passwordFile, 'utf8') };
  } catch {
    throw new ValidationError(
      `${layout.webConfig} or ${layout.passwordFile} is missing: run cfy_manager configure`,
    );
  }
}

/** Keeps the bcrypt hash of the current web config when it still matches (no needless rewrite). */
export function bcryptHashFor(webConfig: string, creds: Credentials): string {
  try {
    const doc = parse(readFileSync(webConfig, 'utf8')) as { basic_auth_users?: Record<string, string> };
    const old = doc.basic_auth_users?.[creds.username];
    if (old && bcrypt.compareSync(creds.password, old)) return old;
  } catch {}
  return bcrypt.hashSync(creds.password, 10);
}

/** Replaces the *.yml of `dir` with `files` (a file of a role this node lost goes away). */
function replaceYamls(dir: string, files: { name: string; text: string }[], ids: Ids): void {
  mkdirSync(dir, { recursive: true });
  const keep = new Set(files.map((f) => f.name));
  for (const e of readdirSync(dir)) if (e.endsWith('.yml') && !keep.has(e)) rmSync(join(dir, e));
  for (const f of files) writeOwned(join(dir, f.name), f.text, 0o644, ids);
}

/** The DB CA postgres_exporter verifies with: explicit, else the copy the database component deployed. */
export function postgresCa(config: Config): string {
  const explicit = config.prometheus.postgres_exporter.ca_cert_path;
  if (explicit) return explicit;
  if (isDbCluster(config)) return PATRONI_CA;
  return config.postgresql_server.ssl_enabled ? `${PG_DATA}/root.crt` : '';
}

/** Every file of the node, for `layout`; promtool checks them before the programs are restarted. */
export async function writeMonitoringFiles(
  config: Config,
  layout: MonLayout,
  creds: Credentials,
  ids: Ids,
): Promise<void> {
  const root = { uid: 0, gid: 0 };
  for (const d of [layout.confDir, layout.exportersDir]) mkdirSync(d, { recursive: true });
  for (const d of [layout.dataDir, layout.logDir]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, ids.uid, ids.gid);
  }
  writeOwned(layout.passwordFile, creds.password, 0o400, ids);
  writeOwned(
    layout.webConfig,
    renderWebConfig(layout, creds.username, bcryptHashFor(layout.webConfig, creds)),
    0o640,
    { uid: 0, gid: ids.gid },
  );
  writeOwned(layout.configFile, renderPrometheusConfig(config, layout, creds), 0o644, root);
  const targets = targetFiles(config).map((t) => ({ name: t.name, text: renderTargets(t) }));
  replaceYamls(layout.targetsDir, targets, root);
  const r = roles(config);
  replaceYamls(layout.alertsDir, r.manager ? ruleFiles(config) : [], root);
  if (r.manager) writeOwned(layout.blackboxConfig, renderBlackbox(MANAGER_SSL.ca), 0o644, root);
  else rmSync(layout.blackboxConfig, { force: true });
  if (r.db) {
    const pg = await lookupIds('postgres');
    const dsn = postgresDsn(config, postgresCa(config));
    redact(dsn);
    writeOwned(layout.postgresEnv, shellEnvFile({ DATA_SOURCE_NAME: dsn }), 0o600, pg);
  } else {
    rmSync(layout.postgresEnv, { force: true });
  }
  await promtool(['check', 'config', layout.configFile]);
  await promtool(['check', 'web-config', layout.webConfig]);
}

async function promtool(args: string[]): Promise<void> {
  const r = await run([BIN.promtool, ...args], { ignoreFailure: true });
  if (r.code !== 0) {
    const why =
      `${r.stderr}\n${r.stdout}`.split('\n').find((l) => /FAILED|error/i.test(l)) ?? `exit ${r.code}`;
    throw new ValidationError(
      `promtool refused the Prometheus configuration (${why.trim()}): check the prometheus section of config.yaml`,
    );
  }
}

/** Prometheus answers /monitoring/-/ready on 8009 over TLS with the credentials (60 s at most). */
export async function waitReady(
  config: Config,
  layout: MonLayout,
  creds: Credentials,
  port = MONITORING_PORT,
): Promise<void> {
  const url = `https://${urlHost(config.manager.private_ip)}:${port}/monitoring/-/ready`;
  let last = 'no answer';
  for (let i = 0; i < 120; i++) {
    const r = await httpsRequest(url, {
      tls: { ca: layout.ca },
      auth: `${creds.username}:${creds.password}`,
      timeoutMs: 2000,
    });
    if (r?.status === 200) return;
    last = r ? `HTTP ${r.status}` : 'no answer';
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new ValidationError(
    `Prometheus is not ready at ${url} (${last}): see ${join(layout.logDir, 'prometheus.log')}`,
  );
}

/** postgres_exporter reaches PostgreSQL (pg_up 1); a cluster without a leader yet only gets a notice. */
async function checkPostgresExporter(config: Config, log: Logger): Promise<void> {
  const url = `http://127.0.0.1:${config.prometheus.postgres_exporter.metrics_port}/metrics`;
  let up = '';
  for (let i = 0; i < 20 && up !== '1'; i++) {
    try {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
      up = /^pg_up (\S+)$/m.exec(text)?.[1] ?? '';
    } catch {}
    if (up !== '1') await new Promise((res) => setTimeout(res, 1000));
  }
  if (up === '1') log.info('postgres_exporter is connected to PostgreSQL (pg_up 1)');
  else
    log.notice(
      `postgres_exporter does not reach PostgreSQL yet (pg_up ${up || 'unknown'}); see ${join(PRODUCTION_LAYOUT.logDir, 'postgres_exporter.log')}`,
    );
}

async function configureMonitoring(ctx: ComponentContext): Promise<void> {
  const { config, log } = ctx;
  const layout = PRODUCTION_LAYOUT;
  const creds = requireCredentials(config);
  log.info('Configuring Prometheus and its exporters...');
  const ids = await lookupIds(USER);
  await deployMonitoringCerts(config, layout, USER, log);
  // Without the role (a new cluster's first nodes have no leader yet) the exporter cannot log in: its
  // pg_up turns 1 once a later DB node has made the role, with no need to wait here.
  const dbUser = roles(config).db && (await ensureMonitoringUser(config, log));
  await writeMonitoringFiles(config, layout, creds, ids);
  const programs = renderPrograms(config, { layout, supervisorSocket: supervisor.supervisordSocket() });
  const wanted = new Set(programs.map((p) => p.name));
  for (const name of ALL_PROGRAMS) if (!wanted.has(name)) await supervisor.removeProgram(name);
  for (const p of programs) supervisor.writeProgram(p);
  for (const p of programs) await supervisor.restart(p.name);
  await waitReady(config, layout, creds);
  if (dbUser) await checkPostgresExporter(config, log);
  log.info(
    `Prometheus configured: https://${urlHost(config.manager.private_ip)}:${MONITORING_PORT}/monitoring`,
  );
}

const ownPrograms = (config: Config) =>
  renderPrograms(config, { layout: PRODUCTION_LAYOUT, supervisorSocket: '' }).map((p) => p.name);

async function disableDebianUnits(log: Logger): Promise<void> {
  if (!existsSync('/run/systemd/system')) return;
  for (const unit of DEBIAN_UNITS) {
    const r = await run(['systemctl', 'disable', '--now', `${unit}.service`], { ignoreFailure: true });
    if (r.code === 0) log.debug(`Disabled Debian's ${unit}.service (supervisord runs ours)`);
  }
}

export const prometheus: Component = {
  name: 'prometheus',
  service: 'monitoring_service',
  packages(ctx) {
    const r = roles(ctx.config);
    const pkgs: PackageSpec[] = [
      { name: 'supervisor' },
      { name: 'prometheus', version: '2.42.' },
      { name: 'prometheus-node-exporter' },
    ];
    if (r.db) pkgs.push({ name: 'prometheus-postgres-exporter' });
    if (r.manager) pkgs.push({ name: 'prometheus-blackbox-exporter' });
    return pkgs;
  },
  validate: (ctx) => validateMonitoring(ctx.config),
  install: (ctx) => disableDebianUnits(ctx.log),
  configure: configureMonitoring,
  async start(ctx) {
    for (const name of ownPrograms(ctx.config)) await supervisor.restart(name);
    await waitReady(ctx.config, PRODUCTION_LAYOUT, installedCredentials(PRODUCTION_LAYOUT));
  },
  async stop(ctx) {
    for (const name of ownPrograms(ctx.config).reverse()) await supervisor.stop(name);
  },
  async remove(ctx) {
    const l = PRODUCTION_LAYOUT;
    for (const name of ALL_PROGRAMS) await supervisor.removeProgram(name);
    for (const d of [l.targetsDir, l.alertsDir, l.exportersDir, l.dataDir, l.logDir]) {
      rmSync(d, { recursive: true, force: true });
    }
    for (const f of [l.configFile, l.webConfig, l.passwordFile]) rmSync(f, { force: true });
    ctx.log.info('Removed Prometheus, its exporters, their files and the metrics data');
  },
};
