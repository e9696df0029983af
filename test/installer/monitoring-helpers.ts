// Helpers of the monitoring tests: the monitoring certificate files, an HTTPS GET with a CA and basic auth,
// a process's RSS.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyAndCert } from '../../src/installer/certs/x509.js';
import type { MonLayout } from '../../src/installer/components/monitoring/settings.js';

export function writeCerts(layout: MonLayout, ca: KeyAndCert, leaf: KeyAndCert): void {
  mkdirSync(join(layout.cert, '..'), { recursive: true });
  writeFileSync(layout.cert, leaf.certPem);
  writeFileSync(layout.key, leaf.keyPem, { mode: 0o400 });
  writeFileSync(layout.ca, ca.certPem);
}

export const rssKb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
