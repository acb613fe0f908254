import type { FastifyInstance } from 'fastify';
import { routeOf } from '@app/http';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { sanitizeUrl } from './log-redaction';
import { RequestLinePattern, RequestLineWriter } from './request-log-line';

export const HTTP_SERVER_REQUESTS_SECONDS = 'http_server_requests_seconds';

/** Latency buckets in seconds: fine below 100 ms where an API should live, coarse above. */
export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label for requests that matched no route, so scanners cannot explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

// probes and scrapes arrive every few seconds: keep them out of info-level logs
const QUIET_PREFIXES = ['/health/', '/metrics'];

interface ResponseOutcome {
  series: ReturnType<Histogram<'method' | 'route' | 'status'>['labels']> | null;
  line: RequestLinePattern;
}

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
  const lines = logger ? new RequestLineWriter(logger) : null;
  // What is the same for every request of a method, route template and status, built once: the
  // bound histogram series (labelling per request would hash the label object each time) and
  // the constant parts of the log line. Bounded by routes x methods x statuses.
  const outcomes = new Map<string, ResponseOutcome>();
  const outcomeFor = (method: string, route: string, status: number): ResponseOutcome => {
    const key = `${method} ${status} ${route}`;
    let outcome = outcomes.get(key);
    if (!outcome) {
      outcome = {
        series: histogram?.labels({ method, route, status: String(status) }) ?? null,
        line: RequestLineWriter.pattern(method, route, status),
      };
      outcomes.set(key, outcome);
    }
    return outcome;
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = routeOf(request).url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const outcome = outcomeFor(request.method, route, status);
    outcome.series?.observe(reply.elapsedTime / 1000);
    if (lines) {
      const level = QUIET_PREFIXES.some((prefix) => request.url.startsWith(prefix))
        ? 'debug'
        : status >= 500
          ? 'error'
          : 'info';
      if (lines.isLevelEnabled(level)) {
        lines.write(level, outcome.line, request.id, sanitizeUrl(request.url), Math.round(reply.elapsedTime * 100) / 100);
      }
    }
    done();
  });
}
