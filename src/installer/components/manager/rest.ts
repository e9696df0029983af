// Talking to the freshly started REST service over its internal port (TLS, the internal CA): wait until
// it answers (§6.2 step 6: 24 tries, 2 s apart), and upload the license on the first manager (step 7).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Config } from '../../config/schema.js';
import { BootstrapError, FileError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { internalPort, MANAGER_SSL, REST_PROGRAM } from './render.js';

interface Answer {
  status: number;
  body: string;
}

/** One request to https://127.0.0.1:<internal port>, verifying the chain but not the name (loopback). */
export function restCall(
  config: Config,
  path: string,
  opts: { method?: string; body?: Buffer; auth?: string; headers?: Record<string, string> } = {},
): Promise<Answer | undefined> {
  const ca = readFileSync(MANAGER_SSL.ca);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: internalPort(config),
        path,
        method: opts.method ?? 'GET',
        ca,
        checkServerIdentity: () => undefined,
        headers: {
          ...(opts.headers ?? {}),
          ...(opts.body ? { 'content-length': String(opts.body.length) } : {}),
          ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}),
        },
        timeout: 10_000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end(opts.body);
  });
}

/** Until GET /api/v3.1/status answers (401 without credentials: the app is serving). */
export async function waitForRest(config: Config, log: Logger, tries = 24, delayMs = 2000): Promise<void> {
  const port = internalPort(config);
  log.info(`Waiting for the REST service on port ${port}`);
  for (let i = 0; i < tries; i++) {
    const r = await restCall(config, '/api/v3.1/status');
    if (r && r.status > 0 && r.status < 500) return;
    await new Promise((res) => setTimeout(res, delayMs));
  }
  throw new BootstrapError(
    `The REST service did not answer on 127.0.0.1:${port} in ${(tries * delayMs) / 1000} s`,
    {
      fix: `See /var/log/cloudify/rest/${REST_PROGRAM}.log for why it did not start.`,
    },
  );
}

function readLicense(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new FileError(
      `Cannot read manager.cloudify_license_path ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { fix: 'Point manager.cloudify_license_path at the license file, or leave it empty.' },
    );
  }
}

/** Before anything changes: a configured license file can be read. */
export function checkLicenseReadable(config: Config): void {
  if (config.manager.cloudify_license_path) readLicense(config.manager.cloudify_license_path);
}

export async function uploadLicense(config: Config, adminPassword: string, log: Logger): Promise<void> {
  const path = config.manager.cloudify_license_path;
  const body = readLicense(path);
  const r = await restCall(config, '/api/v3.1/license', {
    method: 'PUT',
    body,
    auth: `${config.manager.security.admin_username}:${adminPassword}`,
    headers: { tenant: 'default_tenant', 'content-type': 'application/octet-stream' },
  });
  if (r?.status !== 200) {
    throw new BootstrapError(
      `Failed to upload Cloudify license: ${r ? `${r.status} ${r.body}` : 'no answer'}`,
    );
  }
  log.info(`Uploaded the license ${path}`);
}
