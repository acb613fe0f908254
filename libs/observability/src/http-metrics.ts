import type { FastifyInstance } from 'fastify';
import { routeOf, serverRequestIdOf } from '@app/http';
import type { Logger } from 'pino';
import { sanitizeUrl } from './log-redaction';
import { RequestLinePattern, RequestLineWriter } from './request-log-line';
import { traceIdOfRequest } from './tracing/request-tracing';
import type { HistogramSeries, SeriesHistogram } from './series-histogram';

export const HTTP_SERVER_REQUESTS_SECONDS = 'http_server_requests_seconds';

/** Latency buckets in seconds: fine below 100 ms where an API should live, coarse above. */
export const HTTP_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label for requests that matched no route, so scanners cannot explode the label set. */
export const UNMATCHED_ROUTE = 'unmatched';

// probes and scrapes arrive every few seconds: keep them out of info-level logs
const QUIET_PREFIXES = ['/health/', '/metrics'];

export type HttpHistogram = SeriesHistogram<'method' | 'route' | 'status'>;

interface ResponseOutcome {
  series: HistogramSeries | null;
  line: RequestLinePattern;
}

// the one key of every request that matched no route: they all share the 'unmatched' label
const UNMATCHED_KEY = {};

export interface RequestObservability {
  /** One structured line per answered request; null when HTTP_LOG_ENABLED=false. */
  logger: Logger | null;
  /** http_server_requests_seconds; null when METRICS_ENABLED=false. */
  histogram: HttpHistogram | null;
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
  // What is the same for every request of a route, method and status, built once: the histogram
  // series and the constant parts of the log line. Found by the route's own config object (one
  // per registered route), then method and status, so the lookup builds no key string per
  // request. Bounded by routes x methods x statuses.
  const outcomes = new WeakMap<object, Map<string, Map<number, ResponseOutcome>>>();
  const outcomeFor = (routeKey: object, method: string, route: string, status: number): ResponseOutcome => {
    let byMethod = outcomes.get(routeKey);
    if (!byMethod) outcomes.set(routeKey, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let outcome = byStatus.get(status);
    if (!outcome) {
      outcome = {
        series: histogram?.labels({ method, route, status: String(status) }) ?? null,
        line: RequestLineWriter.pattern(method, route, status),
      };
      byStatus.set(status, outcome);
    }
    return outcome;
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    const options = routeOf(request);
    const route = options.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const outcome = outcomeFor(options.url === undefined ? UNMATCHED_KEY : (options.config ?? UNMATCHED_KEY), request.method, route, status);
    outcome.series?.observe(reply.elapsedTime / 1000);
    if (lines) {
      const level = QUIET_PREFIXES.some((prefix) => request.url.startsWith(prefix))
        ? 'debug'
        : status >= 500
          ? 'error'
          : 'info';
      if (lines.isLevelEnabled(level)) {
        // requestId is the id the caller got back; ours goes beside it only when that was the caller's
        const serverRequestId = serverRequestIdOf(request);
        const durationMs = Math.round(reply.elapsedTime * 100) / 100;
        lines.write(
          level,
          outcome.line,
          request.id,
          sanitizeUrl(request.url),
          durationMs,
          serverRequestId === request.id ? null : serverRequestId,
          traceIdOfRequest(request),
        );
      }
    }
    done();
  });
}
