// Small HTTPS JSON client for the cluster APIs (Patroni 8008, etcd 2379): CA-verified, optional client
// certificate and basic auth, a hard timeout; a connection error or timeout is `undefined`, never a throw.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';

export interface TlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

export interface HttpsResult {
  status: number;
  body: string;
  json?: any;
}

export async function httpsRequest(
  url: string,
  opts: { tls: TlsFiles; method?: string; body?: unknown; auth?: string; timeoutMs?: number },
): Promise<HttpsResult | undefined> {
  let ca: Buffer;
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  try {
    ca = readFileSync(opts.tls.ca);
    cert = opts.tls.cert ? readFileSync(opts.tls.cert) : undefined;
    key = opts.tls.key ? readFileSync(opts.tls.key) : undefined;
  } catch {
    return undefined;
  }
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca,
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
        ...(opts.auth ? { auth: opts.auth } : {}),
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
        timeout: opts.timeoutMs ?? 5000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body, json });
        });
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}

/** TCP connect check with a timeout (is a peer's port open at all?). */
export async function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(false));
  });
}
