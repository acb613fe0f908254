import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { sanitizeUrl } from './log-redaction';

export const HTTP_SERVER_REQUESTS_SECONDS = 'http_server_requests_seconds';

/** Latency buckets in seconds: fine below 100 ms where an API should live, coarse above. */
export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label for requests that matched no route, so scanners cannot explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

// probes and scrapes arrive every few seconds: keep them out of info-level logs
const QUIET_PREFIXES = ['/health/', '/metrics'];

export interface RequestObservability {
  /** One structured line per answered request; null when HTTP_LOG_ENABLED=false. */
  logger: Logger | null;
  /** http_server_requests_seconds; null when METRICS_ENABLED=false. */
  histogram: Histogram<'method' | 'route' | 'status'> | null;
}

/**
 * Logs and measures each request once it is answered, labelled by the route template
 * (`/api/v1/orders/:id`, never `/api/v1/orders/123`). Fastify hooks rather than Nest
 * middleware or interceptors: 404s, body-parser errors and 503s while closing are
 * counted too, and the hot path stays a few microseconds.
 */
export function installRequestObservability(fastify: FastifyInstance, { logger, histogram }: RequestObservability): void {
  if (!logger && !histogram) return;
  // One bound series per method, route template and status: labelling on every request
  // would hash the label object each time. Bounded by routes x methods x statuses.
  const series = new Map<string, ReturnType<Histogram<'method' | 'route' | 'status'>['labels']>>();
  const seriesFor = (histogram: Histogram<'method' | 'route' | 'status'>, method: string, route: string, status: number) => {
    const key = `${method} ${status} ${route}`;
    let bound = series.get(key);
    if (!bound) {
      bound = histogram.labels({ method, route, status: String(status) });
      series.set(key, bound);
    }
    return bound;
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    if (histogram) seriesFor(histogram, request.method, route, status).observe(reply.elapsedTime / 1000);
    if (logger) {
      const level = QUIET_PREFIXES.some((prefix) => request.url.startsWith(prefix))
        ? 'debug'
        : status >= 500
          ? 'error'
          : 'info';
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            requestId: request.id,
            method: request.method,
            url: sanitizeUrl(request.url),
            route,
            status,
            durationMs: Math.round(reply.elapsedTime * 100) / 100,
          },
          `${request.method} ${route} ${status}`,
        );
      }
    }
    done();
  });
}
