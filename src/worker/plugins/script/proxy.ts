// The ctx proxy (dsl-and-workflows.md §4.3): one HTTP server per operation on 127.0.0.1, a random
// port, and a random token in the URL path. POST {"args": [...]} → {"type", "payload"}.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OperationContext } from '../types.js';
import { ctxCall, type ScriptOutcome } from './ctx-object.js';

export interface CtxProxy {
  /** CTX_SOCKET_URL for the script: http://127.0.0.1:<port>/<token> */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

export async function startCtxProxy(op: OperationContext, outcome: ScriptOutcome): Promise<CtxProxy> {
  const token = randomBytes(24).toString('hex');
  const server: Server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== `/${token}`) {
      req.resume();
      send(req.url === `/${token}` ? 405 : 403, {
        type: 'error',
        payload: { type: 'Forbidden', message: 'bad token or method' },
      });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      let args: unknown[];
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { args?: unknown };
        args = Array.isArray(body.args) ? body.args : [];
      } catch {
        send(400, { type: 'error', payload: { type: 'ValueError', message: 'request body is not JSON' } });
        return;
      }
      ctxCall(op, outcome, args).then(
        (reply) => send(200, reply),
        (err: Error) => send(500, { type: 'error', payload: { type: 'Error', message: err.message } }),
      );
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
