// The REST service's own Prometheus metrics: how long each request took, by method, route pattern
// and status code. The entry assembles the registry and the 127.0.0.1 listener (entry/metrics.ts);
// buildApp installs the hook when it is given these metrics.
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

/** The route label of a request that matched no route (404s of unknown URLs, never the raw URL). */
export const UNMATCHED_ROUTE = '<unmatched>';

export interface HttpMetrics {
  /** One answered request: its method, route pattern (e.g. /api/v3.1/deployments/:id), status, seconds. */
  observe(method: string, route: string, statusCode: number, seconds: number): void;
}

/** `stratus_http_request_duration_seconds{method, route, status_code}` in `registry`. */
export function httpMetrics(registry: Registry): HttpMetrics {
  const histogram = new Histogram({
    name: 'stratus_http_request_duration_seconds',
    help: 'REST requests by method, route pattern and status code: time from receiving the request to the answer sent',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // One child per label set: observing through it skips prom-client's label hashing per request.
  const children = new Map<string, Histogram.Internal<'method' | 'route' | 'status_code'>>();
  return {
    observe(method, route, statusCode, seconds) {
      const key = `${method} ${statusCode} ${route}`;
      let child = children.get(key);
      if (!child) {
        child = histogram.labels(method, route, String(statusCode));
        children.set(key, child);
      }
      child.observe(seconds);
    },
  };
}

/** Times every request of `app`; call before any route is registered (hooks apply to later routes). */
export function installHttpMetrics(app: FastifyInstance, metrics: HttpMetrics): void {
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(
      req.method,
      req.routeOptions.url ?? UNMATCHED_ROUTE,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
