// New-connection load: every request opens a TCP connection and does a full TLS handshake (no session
// is ever offered for resumption; wrk would resume through SSL_clear), sends one authenticated
// request with `Connection: close`, and reads the answer to its end. Latency counts from connect
// to the last byte, so it includes the handshake.
import { connect } from 'node:tls';
import type { WrkResult } from './wrk.js';

interface Target {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

function once(t: Target): Promise<{ ok: boolean; reused: boolean }> {
  return new Promise((resolve) => {
    const head = Object.entries({ ...t.headers, host: t.host, connection: 'close' })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    let first = '';
    const socket = connect({ host: t.host, port: t.port, rejectUnauthorized: false }, () =>
      socket.write(`GET ${t.path} HTTP/1.1\r\n${head}\r\n`),
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (c: Buffer) => {
      if (first.length < 16) first += c.toString('latin1');
    });
    socket.on('error', () => resolve({ ok: false, reused: false }));
    socket.on('close', () =>
      resolve({ ok: /^HTTP\/1\.1 2\d\d/.test(first), reused: socket.isSessionReused() }),
    );
  });
}

export async function runHandshakes(
  t: Target,
  seconds: number,
  connections: number,
): Promise<WrkResult & { raw: string }> {
  const latencies: number[] = [];
  let errors = 0;
  let reused = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const r = await once(t);
      if (r.reused) reused++;
      if (r.ok) latencies.push(performance.now() - t0);
      else errors++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  if (reused > 0)
    throw new Error(`${reused} TLS sessions were resumed: the figure would not be full handshakes`);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
    raw: `${errors} failed connections`,
  };
}
