// Debian packages (the reference used yum; the map is in docs/installer.md). Installed with apt-get when
// missing, with a policy-rc.d that denies service starts for the duration so a package's init script
// never starts a host-wide daemon (PostgreSQL's 15/main, etcd on 127.0.0.1, ...). Versions are checked.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { AptError } from '../errors.js';
import { run } from '../exec.js';
import { Logger } from '../log.js';

const log = new Logger('apt');

export interface PackageSpec {
  name: string;
  /** The version must start with this (e.g. '3.4.' for etcd-server). */
  version?: string;
}

export async function installedVersion(pkg: string): Promise<string | undefined> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const r = await run(['dpkg-query', '-W', '-f=${Status}\t${Version}', pkg], { ignoreFailure: true });
  if (r.code !== 0) return undefined;
  const [status, version] = r.stdout.split('\t');
  return status?.endsWith(' installed') ? version : undefined;
}

function versionOk(spec: PackageSpec, version: string): boolean {
  return !spec.version || version.replace(/^\d+:/, '').startsWith(spec.version);
}

export async function missingPackages(specs: PackageSpec[]): Promise<PackageSpec[]> {
  const out: PackageSpec[] = [];
  for (const s of specs) {
    const v = await installedVersion(s.name);
    if (!v || !versionOk(s, v)) out.push(s);
  }
  return out;
}

export async function ensurePackages(specs: PackageSpec[]): Promise<void> {
  const missing = await missingPackages(specs);
  if (missing.length === 0) {
    log.debug(`Packages present: ${specs.map((s) => s.name).join(' ')}`);
    return;
  }
  const names = missing.map((s) => s.name);
  log.info(`Installing Debian packages: ${names.join(' ')}`);
  const policy = '/usr/sbin/policy-rc.d';
  const own = !existsSync(policy);
  if (own)
    writeFileSync(policy, '#!/bin/sh\n# temporary, from cfy_manager: no service starts\nexit 101\n', {
      mode: 0o755,
    });
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...names], {
        env,
        timeoutMs: 900_000,
        ignoreFailure: true,
      });
    let r = await install();
    for (let i = 0; r.code !== 0 && /Could not get lock|is held by process/.test(r.stderr) && i < 60; i++) {
      await new Promise((res) => setTimeout(res, 5000)); // another apt-get is running
      r = await install();
    }
    if (r.code !== 0) {
      await run(['apt-get', 'update', '-q'], { env, timeoutMs: 300_000, ignoreFailure: true });
      r = await install();
    }
    if (r.code !== 0) {
      throw new AptError(`apt-get install ${names.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`, {
        fix: `Possible solution is to run - sudo apt-get install ${names.join(' ')}`,
      });
    }
  } finally {
    if (own) rmSync(policy, { force: true });
  }
  const wrong = await missingPackages(missing);
  if (wrong.length > 0) {
    throw new AptError(
      `Prerequisite packages missing or of the wrong version: ${wrong.map((s) => `${s.name} ${s.version ?? ''}`.trim()).join(', ')}`,
    );
  }
}
