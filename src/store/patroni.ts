// Patroni's REST API as the authority on who leads, as Cloudify's select_db_host does:
// `GET https://<host>:<port>/` answers 200 only on the member that holds the leader lock in the DCS
// and runs as primary. Our DB nodes demand a client certificate signed by the DB CA on this API
// (verify_client: required, docs/installer.md), so the client presents one.
import { request } from 'node:https';
import { type Answer, isTlsCode, networkReason } from './db-errors.js';

export interface PatroniAccess {
  port: number;
  ca: string;
  cert?: string;
  key?: string;
  /** Per request. @default 2000 */
  timeoutMs?: number;
}

/** 200 (this member leads), another status, or why the API could not be asked. */
export function patroniStatus(
  host: string,
  a: PatroniAccess,
): Promise<{ status: number } | { error: string; code?: string }> {
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${a.port}/`;
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: a.ca, cert: a.cert, key: a.key, timeout: a.timeoutMs ?? 2000, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.message, code: err.code }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.message, code: err.code }));
    req.end();
  });
}

/** Patroni's answer for a host that is not (known to be) the leader, in the words of an Answer. */
export function patroniAnswer(
  r: { status: number } | { error: string; code?: string },
  port: number,
): Answer {
  const api = `Patroni REST API on port ${port}`;
  if ('status' in r) return { kind: 'not-leader', reason: `${api} answers ${r.status} (not the leader)` };
  if (r.code && isTlsCode(r.code)) {
    const fix = /CERTIFICATE_REQUIRED|HANDSHAKE|ALERT/.test(r.code)
      ? 'Patroni demands a client certificate signed by the DB CA: set sslcert and sslkey (postgresql_client_cert_path)'
      : 'check the Patroni CA (patroni_ca, else sslrootcert) and that each DB certificate names its IP';
    return { kind: 'refused', reason: `${api}: TLS: ${r.error.split('\n')[0]}`, fix };
  }
  return { kind: 'down', reason: `${api}: ${networkReason(r.code, r.error)}` };
}
