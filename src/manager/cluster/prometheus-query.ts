// One instant query to the manager's local Prometheus (config.prometheus: TLS with its CA, basic auth),
// `${url}/api/v1/query`. Never throws: a failure comes back as one line saying what could not be
// reached, for the cluster status to show (Cloudify logs it and carries on with no results).
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PrometheusAccess } from '../config.js';

/** One series of an instant vector: its labels and `[unix seconds, "value"]`. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
}

export type PromAnswer = { ok: true; result: PromSeries[] } | { ok: false; error: string };

/** Cloudify's `monitoring_timeout` default (4 s) bounds the whole request. */
export const PROMETHEUS_TIMEOUT_MS = 4000;

const MAX_BODY = 16 * 1024 * 1024;

function why(status: number | undefined, body: string): string {
  if (status === 401)
    return 'HTTP 401: the monitoring credentials were refused (check prometheus.credentials)';
  if (status === 404)
    return 'HTTP 404: no Prometheus query API under this URL (check the /monitoring prefix)';
  let detail = '';
  try {
    const err = (JSON.parse(body) as { error?: unknown }).error;
    if (typeof err === 'string') detail = `: ${err}`;
  } catch {
    // not Prometheus's JSON error body
  }
  return `HTTP ${status}${detail}`;
}

function parse(status: number | undefined, body: string): PromAnswer {
  if (status !== 200) return { ok: false, error: why(status, body) };
  try {
    const doc = JSON.parse(body) as { data?: { resultType?: string; result?: unknown } };
    const result = doc.data?.result;
    if (doc.data?.resultType && Array.isArray(result)) return { ok: true, result: result as PromSeries[] };
  } catch {
    // fall through
  }
  return { ok: false, error: 'the answer is not a Prometheus query result' };
}

function get(target: URL, headers: Record<string, string>, ca: Buffer | undefined, timeoutMs: number) {
  return new Promise<{ status?: number; body: string }>((resolve, reject) => {
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'GET', headers, ...(ca ? { ca } : {}) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error(`the answer is larger than ${MAX_BODY} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

/** The base URL without credentials, for messages. */
export const shownUrl = (p: PrometheusAccess): string => p.url.replace(/\/\/[^@/]*@/, '//');

export async function queryPrometheus(
  p: PrometheusAccess,
  query: string,
  timeoutMs = PROMETHEUS_TIMEOUT_MS,
): Promise<PromAnswer> {
  let target: URL;
  try {
    target = new URL(`${p.url.replace(/\/+$/, '')}/api/v1/query`);
  } catch {
    return { ok: false, error: 'the Prometheus URL is not a valid URL' };
  }
  target.searchParams.set('query', query);
  let ca: Buffer | undefined;
  if (p.caPath) {
    try {
      ca = await readFile(p.caPath);
    } catch (e) {
      return { ok: false, error: `cannot read the CA file ${p.caPath}: ${(e as Error).message}` };
    }
  }
  const auth = Buffer.from(`${p.username}:${p.password}`).toString('base64');
  try {
    const r = await get(
      target,
      { authorization: `Basic ${auth}`, accept: 'application/json' },
      ca,
      timeoutMs,
    );
    return parse(r.status, r.body);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
