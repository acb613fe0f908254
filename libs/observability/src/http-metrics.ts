import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import type { ObservedRequest } from './logging';

export const HTTP_SERVER_REQUESTS_SECONDS = 'http_server_requests_seconds';

/** Latency buckets in seconds: fine below 100 ms where an API should live, coarse above. */
export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label for requests that matched no route, so scanners cannot explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Records each request once it is answered, labelled by the route template
 * (`/api/v1/orders/:id`, never `/api/v1/orders/123`). Done in Fastify hooks rather than
 * a Nest interceptor so 404s, body-parser errors and 503s while closing are counted too.
 */
export function installRequestObservability(
  fastify: FastifyInstance,
  histogram: Histogram<'method' | 'route' | 'status'> | null,
): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    (request.raw as ObservedRequest).routeTemplate = request.routeOptions.url ?? UNMATCHED_ROUTE;
    done();
  });
  if (!histogram) return;
  fastify.addHook('onResponse', (request, reply, done) => {
    histogram.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
