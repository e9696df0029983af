// The manager's TLS front in the serve process (cfy_manager.md §6.5, decision in docs/decisions.md):
// what Cloudify's nginx listeners do, done by node:https around the Fastify app's request handler.
//   external port (443)    internal cert; the external cert for the public name by SNI (a hostname)
//   internal port (53333)  internal cert
//   plain port (80)        /api/… → 400 SSL_REQUIRED, everything else → 308 https://host/uri
// TLS 1.2 or newer only, and the HSTS header on every TLS answer.
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { FrontCerts } from './front-certs.js';

export const HSTS = 'max-age=31536000; includeSubDomains';

export const SSL_REQUIRED = {
  message: 'SSL must be used for API access on SSL-enabled managers.',
  error_code: 'SSL_REQUIRED',
};

export interface FrontOptions {
  host: string;
  certs: FrontCerts;
  /** The external REST port. @default 443 */
  httpsPort: number;
  /** The internal REST port (agents, workers, other managers). @default 53333 */
  internalPort: number;
  /** The plain port that only redirects. @default 80 */
  httpPort: number;
  /** The manager's public name: when a hostname, SNI gives it the external certificate. */
  publicName?: string;
}

export interface Front {
  /** Stop accepting, let requests in flight finish, drop idle keep-alive connections. */
  close(): Promise<void>;
}

/** Which certificate the external port serves to whom; a note when the external cert goes unused. */
export function externalSni(opts: Pick<FrontOptions, 'certs' | 'publicName'>): {
  name?: string;
  note?: string;
} {
  if (!opts.certs.external) return {};
  if (!opts.publicName)
    return { note: 'the external certificate is not served: give --public-name, the name it was issued for' };
  if (isIP(opts.publicName))
    return {
      note: `the external certificate is not served: the public name ${opts.publicName} is an IP address, which SNI cannot select, so the external port serves the internal certificate`,
    };
  return { name: opts.publicName.toLowerCase() };
}

function tlsOptions(opts: FrontOptions, external: boolean) {
  const base = {
    cert: opts.certs.internal.cert,
    key: opts.certs.internal.key,
    minVersion: 'TLSv1.2' as const,
  };
  const sni = externalSni(opts).name;
  if (!external || !sni || !opts.certs.external) return base;
  const ext: SecureContext = createSecureContext({ ...opts.certs.external, minVersion: 'TLSv1.2' });
  return {
    ...base,
    SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) =>
      cb(null, servername.toLowerCase() === sni ? ext : undefined),
  };
}

/** Port 80 on an SSL-enabled manager: the API refuses plain HTTP, everything else moves to https. */
export function plainHandler(httpsPort: number, fallbackHost: string): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    if (/^\/api(\/|\?|$)/.test(url)) {
      const body = JSON.stringify(SSL_REQUIRED);
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    let host = fallbackHost;
    try {
      if (req.headers.host) host = new URL(`http://${req.headers.host}`).hostname;
    } catch {
      // a Host header that is not a host: keep the fallback
    }
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    res.writeHead(308, { location: `https://${host}${port}${url}`, 'content-length': 0 });
    res.end();
  };
}

function withHsts(handler: RequestListener): RequestListener {
  return (req, res) => {
    res.setHeader('strict-transport-security', HSTS);
    handler(req, res);
  };
}

function listen(server: Server, host: string, port: number, flag: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const fix =
        err.code === 'EACCES'
          ? `ports below 1024 need root or CAP_NET_BIND_SERVICE; choose another ${flag}`
          : err.code === 'EADDRINUSE'
            ? `another process holds it; stop that process or choose another ${flag}`
            : `check ${flag} and --host`;
      reject(new Error(`cannot listen on ${host}:${port} (${err.code ?? err.message}): ${fix}`));
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // Keep-alive connections go idle once their request is answered: drop them as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(idle);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Same socket settings as Fastify's own listen, so answers do not change with the front. */
function tune(server: Server): Server {
  server.keepAliveTimeout = 72_000;
  server.requestTimeout = 0;
  return server;
}

export async function startFront(handler: RequestListener, opts: FrontOptions): Promise<Front> {
  const secured = withHsts(handler);
  const servers: Server[] = [];
  const start = async (server: Server, port: number, flag: string) => {
    servers.push(tune(server));
    await listen(server, opts.host, port, flag);
  };
  try {
    await start(createHttpsServer(tlsOptions(opts, true), secured), opts.httpsPort, '--https-port');
    if (opts.internalPort !== opts.httpsPort)
      await start(createHttpsServer(tlsOptions(opts, false), secured), opts.internalPort, '--internal-port');
    await start(
      createHttpServer(plainHandler(opts.httpsPort, opts.publicName ?? opts.host)),
      opts.httpPort,
      '--http-port',
    );
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  return { close: async () => void (await Promise.all(servers.map(closeServer))) };
}
