// What the lab needs from the host: root, and a few Debian packages it installs itself.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { LabError } from './errors.js';
import { run } from './run.js';

export function requireRoot(uid: number | undefined = process.getuid?.()): void {
  if (uid !== 0) {
    throw new LabError('the lab needs root: it creates network, mount, UTS and PID namespaces and a bridge', {
      fix: 'run it as root (for example: sudo ./bin/cfy_manager lab up)',
    });
  }
}

/** Debian package for each binary the lab runs. */
export const REQUIRED: Record<string, string> = {
  '/usr/bin/supervisord': 'supervisor',
  '/usr/bin/nsenter': 'util-linux',
  '/usr/bin/unshare': 'util-linux',
  '/usr/bin/python3': 'python3',
};

export function missingPackages(): string[] {
  const pkgs = Object.entries(REQUIRED)
    .filter(([bin]) => !existsSync(bin))
    .map(([, pkg]) => pkg);
  if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some(existsSync)) pkgs.push('iproute2');
  return [...new Set(pkgs)];
}

/**
 * apt-get install what is missing. A policy-rc.d that denies service starts is put in place for the
 * duration, so the packages' init scripts do not start host-wide daemons (supervisor's would).
 */
export async function ensurePackages(log: (msg: string) => void): Promise<void> {
  const pkgs = missingPackages();
  if (pkgs.length === 0) return;
  log(`installing Debian packages: ${pkgs.join(' ')}`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(policy, '#!/bin/sh\n# temporary, from stratus lab: no service starts\nexit 101\n', {
      mode: 0o755,
    });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], {
        timeoutMs: 600_000,
        env,
      });
    let r = await install();
    if (r.code !== 0) {
      await run('apt-get', ['update', '-q'], { timeoutMs: 300_000, env });
      r = await install();
    }
    if (r.code !== 0) {
      throw new LabError(`apt-get install ${pkgs.join(' ')} failed: ${r.stderr.trim().split('\n').pop()}`, {
        fix: `install them by hand: apt-get install ${pkgs.join(' ')}`,
      });
    }
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}
