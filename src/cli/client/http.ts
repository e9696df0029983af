// One HTTP exchange with one manager node, following the official Python REST client's conventions
// (dsl-and-workflows.md §5.1): `Content-type: application/json` on every request, Basic or token auth,
// the `Tenant` header, Python-style query booleans, and Cloudify's error body. node:http(s) rather than
// fetch, because the cluster rule needs a connect timeout (5 s) distinct from the (absent) read timeout.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import {
  CertificateFailure,
  CloudifyClientError,
  ConnectionFailure,
  isTlsVerificationError,
} from './errors.js';

export const API_PREFIX = '/api/v3.1';
/** Cloudify's connect timeout; there is no read timeout (executions and uploads may be long). */
export const CONNECT_TIMEOUT_MS = 5000;

/** Where one manager node answers. */
export interface NodeTarget {
  host: string;
  port: number;
  protocol: 'http' | 'https';
  /** CA bundle path for https; none means the system trust store. */
  cert?: string;
  /** Skip certificate verification (CLOUDIFY_SSL_TRUST_ALL or a node's trust_all). */
  trustAll?: boolean;
}

export interface Credentials {
  username?: string;
  password?: string;
  token?: string;
  tenant?: string;
}

export type QueryValue = string | number | boolean | undefined | null | (string | number)[];

export interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to /api/v3.1, unless it starts with /api/. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  /** A raw body (multipart, license bytes); resent as-is on failover. */
  body?: Buffer;
  /** Send the raw body without Content-Length (chunked), as the Python client does for the license. */
  chunked?: boolean;
  headers?: Record<string, string>;
  /** Return the body bytes instead of parsed JSON (downloads). */
  raw?: boolean;
  connectTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  raw: Buffer;
}

export function encodeQuery(query: Record<string, QueryValue> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    // The Python client sends str(bool) (True/False), which Cloudify parses case-insensitively; some
    // Stratus routes validate query booleans strictly, so the CLI sends the form both accept.
    const one = (x: string | number | boolean) => String(x);
    if (Array.isArray(v)) for (const x of v) p.append(k, one(x));
    else p.append(k, one(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function authHeaders(c: Credentials): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.token) h['Authentication-Token'] = c.token;
  else if (c.username && c.password)
    h.Authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  if (c.tenant) h.Tenant = c.tenant;
  return h;
}

const caCache = new Map<string, Buffer>();
function readCa(path: string): Buffer {
  let ca = caCache.get(path);
  if (!ca) {
    ca = readFileSync(path);
    caCache.set(path, ca);
  }
  return ca;
}

export const describeTarget = (t: NodeTarget): string => t.host;

/** Send one request to one node. Throws ConnectionFailure, CertificateFailure or CloudifyClientError. */
export function send(target: NodeTarget, creds: Credentials, spec: RequestSpec): Promise<HttpResponse> {
  const path = (spec.path.startsWith('/api/') ? spec.path : API_PREFIX + spec.path) + encodeQuery(spec.query);
  const headers: Record<string, string> = {
    'Content-type': 'application/json',
    ...authHeaders(creds),
    ...spec.headers,
  };
  let payload: Buffer | undefined;
  if (spec.json !== undefined) payload = Buffer.from(JSON.stringify(spec.json));
  else if (spec.body) payload = spec.body;
  if (payload && !spec.chunked) headers['Content-Length'] = String(payload.length);
  const isHttps = target.protocol === 'https';
  const options: https.RequestOptions = {
    host: target.host,
    port: target.port,
    method: spec.method,
    path,
    headers,
    agent: false,
  };
  if (isHttps) {
    options.rejectUnauthorized = !target.trustAll;
    if (target.cert && !target.trustAll) options.ca = readCa(target.cert);
  }
  const connectTimeout = spec.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let connected = false;
    const req = (isHttps ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new ConnectionFailure(describeTarget(target), e.message)));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          if (spec.raw) return resolve({ status, body: undefined, raw });
          if (status === 204 || raw.length === 0) return resolve({ status, body: undefined, raw });
          try {
            return resolve({ status, body: JSON.parse(raw.toString('utf8')), raw });
          } catch {
            return resolve({ status, body: raw.toString('utf8'), raw });
          }
        }
        reject(toClientError(status, raw, `${target.protocol}://${target.host}:${target.port}${path}`));
      });
    });
    const timer = setTimeout(() => {
      if (!connected) req.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, connectTimeout);
    req.on('socket', (socket) => {
      const onConnect = () => {
        connected = true;
        clearTimeout(timer);
      };
      // TCP connect, not the TLS handshake: the 5 s budget is for reaching the node.
      if ((socket as { connecting?: boolean }).connecting === false) onConnect();
      else socket.once('connect', onConnect);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (isTlsVerificationError(e)) return reject(new CertificateFailure(describeTarget(target), e.message));
      reject(new ConnectionFailure(describeTarget(target), e.code ?? e.message));
    });
    req.on('close', () => clearTimeout(timer));
    if (payload) req.write(payload);
    req.end();
  });
}

function toClientError(status: number, raw: Buffer, url: string): CloudifyClientError {
  const text = raw.toString('utf8');
  try {
    const b = JSON.parse(text) as {
      message?: string;
      detail?: string;
      error_code?: string;
      server_traceback?: string;
    };
    const message = b.message ?? b.detail;
    if (typeof message === 'string')
      return new CloudifyClientError(message, status, b.error_code ?? null, b.server_traceback ?? null);
  } catch {
    // not JSON: fall through, as the Python client does
  }
  return new CloudifyClientError(`${status}: ${text.trim()} [${url}]`, status);
}
