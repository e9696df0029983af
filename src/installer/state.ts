// The marker files that gate the commands (reference §9.1): /etc/cloudify/.installed/<service> and
// /etc/cloudify/.configured/<service>, plus .installed/components.yaml.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BootstrapError, ValidationError } from './errors.js';
import { CONFIGURED_DIR, INSTALLED_DIR } from './paths.js';

export type Marker = 'installed' | 'configured';
const dirOf = (m: Marker) => (m === 'installed' ? INSTALLED_DIR : CONFIGURED_DIR);

export function markedServices(m: Marker): string[] {
  const d = dirOf(m);
  return existsSync(d) ? readdirSync(d).filter((n) => !n.endsWith('.yaml')) : [];
}

export function mark(m: Marker, services: string[]): void {
  mkdirSync(dirOf(m), { recursive: true, mode: 0o755 });
  for (const s of services) writeFileSync(join(dirOf(m), s), '');
}

export function unmark(m: Marker, services: string[]): void {
  for (const s of services) rmSync(join(dirOf(m), s), { force: true });
}

export function writeComponentsFile(byService: Record<string, string[]>): void {
  mkdirSync(INSTALLED_DIR, { recursive: true });
  writeFileSync(join(INSTALLED_DIR, 'components.yaml'), stringify(byService));
}

export function removeMarkerDirs(): void {
  rmSync(INSTALLED_DIR, { recursive: true, force: true });
  rmSync(CONFIGURED_DIR, { recursive: true, force: true });
}

export function requireInstalled(services: string[], configPath: string): void {
  const have = markedServices('installed');
  if (!services.every((s) => have.includes(s))) {
    throw new ValidationError(
      `Not all services [${services.join(', ')}] are installed.\nYou may need to run \`cfy_manager install\` first.\nAlso make sure you use the correct config file (currently used: ${configPath}).`,
    );
  }
}

/** Every service of the config configured (start/stop/restart, dbs, brokers). */
export function requireConfigured(services: string[], configPath: string, cmd: string): void {
  const have = markedServices('configured');
  if (!services.every((s) => have.includes(s))) {
    throw new BootstrapError(
      `Files in ${CONFIGURED_DIR} do not match configured services.\nMake sure you use the correct config file (currently used: ${configPath}).\nThis can also mean you need to run \`cfy_manager configure\` before running \`cfy_manager ${cmd}\`.`,
    );
  }
}

/** The cluster commands also need one of `accepted` configured here (dbs: DB or manager; brokers: queue). */
export function requireOneOf(accepted: string[], cmd: string): void {
  const have = markedServices('configured');
  if (!accepted.some((s) => have.includes(s))) {
    throw new BootstrapError(
      `Running \`cfy_manager ${cmd}\` requires at least one of [${accepted.join(', ')}] to be configured on this node`,
    );
  }
}
