// manager_service (cfy_manager.md §6): the REST service behind its TLS front and the management worker,
// as the supervisord programs cloudify-restservice and cloudify-mgmtworker. configure: the database
// side first (first manager or joiner, §6.4; a refusal leaves the host untouched), then certificates,
// env files, programs, the wait for the REST port, and the license on the first manager.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { Config } from '../../config/schema.js';
import * as supervisor from '../../services/supervisor.js';
import type { Component, ComponentContext } from '../types.js';
import { checkBrokers, checkDatabaseReachable } from './checks.js';
import { checkManagerCerts, deployManagerCerts } from './certs.js';
import { checkLicenseReadable, uploadLicense, waitForRest } from './rest.js';
import { registerManager, unregisterManager } from './register.js';
import { runSanityCheck } from './sanity.js';
import { DATA_DIR, ENV_DIR, PROGRAMS, renderManager } from './render.js';

async function configure(ctx: ComponentContext): Promise<void> {
  const { config, log } = ctx;
  const answer = await registerManager(config);
  log.info(
    answer.joined
      ? 'Joined the existing cluster: this manager is registered in the database'
      : answer.first
        ? 'Created the database, its admin user and default_tenant; registered the managers, brokers and db_nodes rows'
        : 'Registered this manager in the existing database',
  );
  config.manager.security.admin_password = answer.adminPassword; // for the finish message
  await deployManagerCerts(config);
  const rendered = renderManager(config, answer.secretsKey, availableParallelism());
  mkdirSync(ENV_DIR, { recursive: true, mode: 0o700 });
  mkdirSync(DATA_DIR, { recursive: true });
  for (const e of rendered.env) {
    mkdirSync(dirname(e.path), { recursive: true });
    rmSync(e.path, { force: true });
    writeFileSync(e.path, e.text, { mode: 0o600 });
  }
  for (const p of rendered.programs) supervisor.writeProgram(p);
  for (const p of PROGRAMS) await supervisor.restart(p);
  await waitForRest(config, log);
  // The license goes in once, by the manager that created the database (§6.2 step 7).
  if (answer.first && config.manager.cloudify_license_path) {
    await uploadLicense(config, answer.adminPassword, log);
  }
  // §6.9: only while this is the one manager in the database (never on a joiner).
  if (config.sanity.skip_sanity) log.info('Skipping the sanity check (sanity.skip_sanity)');
  else if (answer.otherManagers > 0) log.debug('Not the only manager: no sanity check');
  // A re-run: the admin password in config.yaml may be empty (generated) or reset since.
  else if (answer.registered) log.debug('A re-run of configure: no sanity check');
  else await runSanityCheck(config, answer.adminPassword, log);
}

export const manager: Component = {
  name: 'manager',
  service: 'manager_service',
  packages: () => [{ name: 'supervisor' }],
  async validate(ctx) {
    checkLicenseReadable(ctx.config);
    await checkManagerCerts(ctx.config);
    await checkDatabaseReachable(ctx.config);
    await checkBrokers(ctx.config);
  },
  configure,
  async start() {
    for (const p of PROGRAMS) await supervisor.restart(p);
  },
  async stop() {
    for (const p of [...PROGRAMS].reverse()) await supervisor.stop(p);
  },
  async remove(ctx) {
    for (const p of [...PROGRAMS].reverse()) await supervisor.removeProgram(p);
    rmSync(ENV_DIR, { recursive: true, force: true });
    rmSync(DATA_DIR, { recursive: true, force: true });
    await unregister(ctx.config, ctx);
    ctx.log.info('Removed the manager programs, their env files and /opt/manager');
  },
};

async function unregister(config: Config, ctx: ComponentContext): Promise<void> {
  try {
    await unregisterManager(config);
    ctx.log.info(`Removed this manager (${config.manager.hostname}) from the managers table`);
  } catch (err) {
    ctx.log.warning(
      `Could not remove this manager from the database (${(err as Error).message}); remove its row when the database is back`,
    );
  }
}
