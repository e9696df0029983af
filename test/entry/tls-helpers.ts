// Helpers of the TLS front suites: a throwaway CA with internal and external certificates (the
// installer's own generator), `cfy_manager serve` with them on free ports, and raw TLS probes that
// show which certificate a port serves.
import { type ChildProcess, spawn } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { freePort } from '../helpers/postgres.js';
import { urlsToEnv } from '../helpers/server-urls.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CFY_MANAGER = join(ROOT, 'bin/cfy_manager');
export const PUBLIC_NAME = 'manager.stratus.test';
export const PASSWORD = 'tls-front-test-pw';

export interface CertFiles {
  dir: string;
  ca: string;
  internalCert: string;
  internalKey: string;
  externalCert: string;
  externalKey: string;
}

export async function makeCerts(dir: string): Promise<CertFiles> {
  mkdirSync(dir, { recursive: true });
  const ca = await generateCa();
  const internal = await generateLeaf('localhost', ['127.0.0.1', 'localhost'], ca);
  const external = await generateLeaf(PUBLIC_NAME, [PUBLIC_NAME], ca);
  const f = {
    dir,
    ca: join(dir, 'ca.crt'),
    internalCert: join(dir, 'internal.crt'),
    internalKey: join(dir, 'internal.key'),
    externalCert: join(dir, 'external.crt'),
    externalKey: join(dir, 'external.key'),
  };
  writeFileSync(f.ca, ca.certPem);
  writeFileSync(f.internalCert, internal.certPem);
  writeFileSync(f.internalKey, internal.keyPem, { mode: 0o600 });
  writeFileSync(f.externalCert, external.certPem);
  writeFileSync(f.externalKey, external.keyPem, { mode: 0o600 });
  return f;
}

export const tlsArgs = (c: CertFiles) => [
  '--internal-cert',
  c.internalCert,
  '--internal-key',
  c.internalKey,
  '--external-cert',
  c.externalCert,
  '--external-key',
  c.externalKey,
  '--ca-cert',
  c.ca,
];

export interface Served {
  proc: ChildProcess;
  https: number;
  internal: number;
  http: number;
  output: () => string;
  /** SIGTERM, and the exit code (null: killed after the deadline). */
  stop(ms?: number): Promise<number | null>;
}

/** `cfy_manager serve` with the front on free ports; resolves once the finish message is out. */
export async function serveWithFront(args: string[], ms = 120_000): Promise<Served> {
  const [https, internal, http] = [await freePort(), await freePort(), await freePort()];
  const ports = [
    '--https-port',
    String(https),
    '--internal-port',
    String(internal),
    '--http-port',
    String(http),
  ];
  const urls = urlsToEnv(args);
  const proc = spawn(CFY_MANAGER, ['serve', ...ports, ...urls.args], {
    cwd: ROOT,
    env: { ...process.env, ...urls.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const add = (d: Buffer) => {
    out = (out + d).slice(-50_000);
  };
  proc.stdout!.on('data', add);
  proc.stderr!.on('data', add);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no finish message within ${ms} ms:\n${out}`)), ms);
    const check = () => {
      if (!out.includes('Manager is up at')) return;
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      resolve();
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  }).catch(async (err) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return {
    proc,
    https,
    internal,
    http,
    output: () => out,
    async stop(deadline = 15_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const force = setTimeout(() => proc.kill('SIGKILL'), deadline);
      proc.kill('SIGTERM');
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}

/** The certificate a TLS port presents (verified against `ca` unless `ca` is undefined). */
export function peerCert(
  port: number,
  opts: ConnectionOptions,
): Promise<{ cert: X509Certificate; protocol: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...opts }, () => {
      const raw = socket.getPeerX509Certificate();
      const protocol = socket.getProtocol() ?? '';
      socket.end();
      if (!raw) reject(new Error('no peer certificate'));
      else resolve({ cert: raw, protocol });
    });
    socket.once('error', reject);
  });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function httpsGet(
  port: number,
  path: string,
  ca: Buffer,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', servername: 'localhost', port, path, ca, headers, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
