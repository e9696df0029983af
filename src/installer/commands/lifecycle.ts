// install / configure / remove / validate / start / stop / restart (reference §1.3, §9).
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { timestamp } from '../certs/deploy.js';
import { type Component, componentByName, componentsFor } from '../components/index.js';
import { finishMessage } from '../components/manager/finish.js';
import type { ComponentContext } from '../components/types.js';
import type { Config } from '../config/schema.js';
import { validateConfig } from '../config/validate.js';
import { ValidationError } from '../errors.js';
import { Logger, mainLog } from '../log.js';
import { SSL_DIR, SUPERVISORD_DIR } from '../paths.js';
import { ensurePackages, type PackageSpec } from '../services/apt.js';
import * as supervisor from '../services/supervisor.js';
import {
  mark,
  markedServices,
  removeMarkerDirs,
  requireConfigured,
  requireInstalled,
  unmark,
  writeComponentsFile,
} from '../state.js';
import { type CommonOpts, finishedLine } from './common.js';
import { configPathLabel, loadDerived } from './load-config.js';

const MAIN_SERVICES = ['database_service', 'queue_service', 'manager_service'];

function context(config: Config, c: Component): ComponentContext {
  return { config, log: new Logger(c.name), configuredBefore: markedServices('configured') };
}

async function validateAll(config: Config, components: Component[], onlyInstall = false): Promise<void> {
  await validateConfig(config, { onlyInstall });
  for (const c of components) await c.validate?.(context(config, c));
}

function packagesOf(config: Config, components: Component[]): PackageSpec[] {
  const all = components.flatMap((c) => c.packages?.(context(config, c)) ?? []);
  return [...new Map(all.map((p) => [p.name, p])).values()];
}

async function configureAll(config: Config, components: Component[]): Promise<void> {
  await supervisor.ensureSupervisord();
  for (const c of components) {
    mainLog.info(`Configuring ${c.name}...`);
    await c.configure(context(config, c));
  }
  mark('configured', config.services_to_install);
}

/**
 * The guide promises that postgresql_client.server_password is gone from config.yaml after the install.
 * The original is kept beside it, readable by root only (0600).
 */
export function dropServerPassword(files: string[]): string[] {
  const changed: string[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const doc = parseDocument(readFileSync(f, 'utf8'));
    const pw = doc.getIn(['postgresql_client', 'server_password']);
    if (pw === undefined || pw === null || pw === '') continue;
    const backup = `${f}.${timestamp()}.bak`;
    copyFileSync(f, backup);
    chmodSync(backup, 0o600);
    doc.deleteIn(['postgresql_client', 'server_password']);
    const mode = statSync(f).mode & 0o777;
    writeFileSync(f, doc.toString(), { mode });
    changed.push(f);
    mainLog.info(`Removed postgresql_client.server_password from ${f} (backup: ${backup}, mode 0600)`);
  }
  return changed;
}

export async function install(o: CommonOpts & { onlyInstall?: boolean }): Promise<void> {
  const t0 = Date.now();
  const config = loadDerived(o);
  const components = componentsFor(config);
  mainLog.info(`Installing services: ${config.services_to_install.join(', ')}`);
  await validateAll(config, components, o.onlyInstall);
  await ensurePackages(packagesOf(config, components));
  for (const c of components) await c.install?.(context(config, c));
  mark('installed', config.services_to_install);
  const byService: Record<string, string[]> = {};
  for (const s of config.services_to_install)
    byService[s] = components.filter((c) => c.service === s).map((c) => c.name);
  writeComponentsFile(byService);
  if (!o.onlyInstall) {
    await configureAll(config, components);
    dropServerPassword(config.config_files ?? []);
  }
  mainLog.notice('Installation finished successfully!');
  mainLog.notice(finishedLine(t0));
  // §9.4, on the terminal only (it holds the admin password).
  if (!o.onlyInstall) for (const l of finishMessage(config)) process.stdout.write(`${l}\n`);
}

export async function configure(o: CommonOpts & { printFinishMessage?: boolean }): Promise<void> {
  const t0 = Date.now();
  const config = loadDerived(o);
  requireInstalled(config.services_to_install, configPathLabel(o));
  const components = componentsFor(config);
  await validateAll(config, components);
  await configureAll(config, components);
  dropServerPassword(config.config_files ?? []);
  mainLog.notice('Configuration finished successfully!');
  mainLog.notice(finishedLine(t0));
  if (o.printFinishMessage) for (const l of finishMessage(config)) process.stdout.write(`${l}\n`);
}

export async function validate(o: CommonOpts): Promise<void> {
  const config = loadDerived(o);
  await validateAll(config, componentsFor(config));
  mainLog.info('All validations passed successfully!');
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** The services named in remove's messages: the main ones, and the load balancer (a Stratus addition). */
const removedLabel = (config: Config, mains: string[]) =>
  [...mains, ...config.services_to_install.filter((s) => s === 'load_balancer_service')]
    .map((s) => (s === 'load_balancer_service' ? 'Load Balancer' : cap(s.replace('_service', ''))))
    .join(', ');

export async function remove(o: CommonOpts): Promise<void> {
  const t0 = Date.now();
  const config = loadDerived(o);
  const mains: string[] = config.services_to_install.filter((s) => MAIN_SERVICES.includes(s));
  const allInOne = MAIN_SERVICES.every((s) => mains.includes(s));
  mainLog.info(
    allInOne ? 'Removing Cloudify Manager...' : `Removing Cloudify ${removedLabel(config, mains)}...`,
  );
  const configured = markedServices('configured');
  const remaining = configured.filter((s) => MAIN_SERVICES.includes(s) && !mains.includes(s));
  const components = componentsFor(config)
    .filter((c) => mains.includes(c.service) || remaining.length === 0)
    .reverse();
  const allConfigured = config.services_to_install.every((s) => configured.includes(s));
  for (const c of components) {
    if (allConfigured) await c.stop(context(config, c));
    await c.remove(context(config, c));
  }
  unmark('installed', config.services_to_install);
  unmark('configured', config.services_to_install);
  if (remaining.length === 0) {
    removeMarkerDirs();
    if (existsSync(SUPERVISORD_DIR)) {
      for (const f of readdirSync(SUPERVISORD_DIR).filter((n) => n.endsWith('.cloudify.conf')))
        rmSync(join(SUPERVISORD_DIR, f));
    }
  }
  if (existsSync(SSL_DIR)) {
    const ts = timestamp();
    for (const f of readdirSync(SSL_DIR).filter((n) => /^[a-zA-Z]/.test(n)))
      renameSync(join(SSL_DIR, f), join(SSL_DIR, `${ts}_${f}`));
  }
  mainLog.notice(
    allInOne
      ? 'Cloudify Manager successfully removed!'
      : `Cloudify ${removedLabel(config, mains)} successfully removed!`,
  );
  mainLog.notice(finishedLine(t0));
}

function selected(config: Config, names: string[]): Component[] {
  const all = componentsFor(config);
  if (names.length === 0) return all;
  return names.map((n) => {
    const c = componentByName(n, all);
    if (!c)
      throw new ValidationError(
        `Unknown component ${n}; components of this node: ${all.map((x) => x.name).join(', ')}`,
      );
    return c;
  });
}

export async function lifecycle(
  verb: 'start' | 'stop' | 'restart',
  names: string[],
  o: CommonOpts,
): Promise<void> {
  const t0 = Date.now();
  const config = loadDerived(o);
  requireConfigured(config.services_to_install, configPathLabel(o), verb);
  const comps = selected(config, names);
  await supervisor.ensureSupervisord();
  if (verb !== 'start') for (const c of comps) await c.stop(context(config, c));
  if (verb !== 'stop') for (const c of comps) await c.start(context(config, c));
  mainLog.notice(finishedLine(t0));
}
