// Helpers of the monitoring tests: the monitoring certificate files, an HTTPS GET with a CA and basic auth,
// a process's RSS.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { KeyAndCert } from '../../src/installer/certs/x509.js';
import type { MonLayout } from '../../src/installer/components/monitoring/settings.js';

export function writeCerts(layout: MonLayout, ca: KeyAndCert, leaf: KeyAndCert): void {
  mkdirSync(join(layout.cert, '..'), { recursive: true });
  writeFileSync(layout.cert, leaf.certPem);
  writeFileSync(layout.key, leaf.keyPem, { mode: 0o400 });
  writeFileSync(layout.ca, ca.certPem);
}

export function get(
  url: string,
  ca: string,
  auth?: string,
  agent?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, auth, agent: (agent as any) ?? false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export const rssKb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
