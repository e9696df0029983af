// Our own Prometheus metrics as a process serves them: a plain node:http listener on 127.0.0.1 only
// (no Fastify, no authentication; the local Prometheus scrapes it) answering GET /metrics in the
// Prometheus text format. What is measured lives beside the code it measures (manager/metrics.ts,
// worker/metrics.ts); this file assembles the registries: one per process, and with several REST
// processes (node:cluster) the primary answers for all of them through prom-client's AggregatorRegistry.
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';

/** The only address the listener binds: metrics are for the local Prometheus. */
export const METRICS_HOST = '127.0.0.1';

export interface MetricsListener {
  port: number;
  close(): Promise<void>;
}

export interface Exposition {
  contentType: string;
  render(): Promise<string>;
}

/** A process's registry, with prom-client's default process metrics (CPU, memory, event loop, GC). */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** A REST worker process of node:cluster: its registry answers the primary's requests for metrics. */
export function clusterWorkerRegistry(): Registry {
  const registry = processRegistry();
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one adds the listener that answers the primary (prom-client's cluster protocol).
  new AggregatorRegistry();
  return registry;
}

/** What the node:cluster primary serves: every REST worker process's metrics, aggregated. */
export function clusterExposition(): Exposition {
  if (!cluster.isPrimary) throw new Error('clusterExposition runs in the node:cluster primary');
  const aggregator = new AggregatorRegistry();
  return { contentType: aggregator.contentType, render: () => aggregator.clusterMetrics() };
}

export function registryExposition(registry: Registry): Exposition {
  return { contentType: registry.contentType, render: () => registry.metrics() };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be opened (${err.code ?? err.message})`;
      reject(new Error(`--metrics-port ${port}: ${METRICS_HOST}:${port} ${why}; choose another port`));
    };
    server.once('error', onError);
    server.listen({ host: METRICS_HOST, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Serves `exposition` at http://127.0.0.1:<port>/metrics; anything else is 404. */
export async function startMetricsListener(
  port: number,
  exposition: Exposition,
  onError?: (err: unknown) => void,
): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed: GET /metrics\n');
      return;
    }
    exposition.render().then(
      (body) => {
        res.writeHead(200, { 'content-type': exposition.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err) => {
        onError?.(err);
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Metrics are unavailable: ${(err as Error).message?.split('\n')[0] ?? String(err)}\n`);
      },
    );
  });
  await listen(server, port);
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
