export { HealthController } from './health.controller';
export {
  HTTP_LATENCY_BUCKETS,
  HTTP_SERVER_REQUESTS_SECONDS,
  type HttpHistogram,
  installRequestObservability,
  UNMATCHED_ROUTE,
  type RequestObservability,
} from './http-metrics';
export { maskPhone, REDACT_PATHS, REDACTED, sanitizeUrl } from './log-redaction';
export { buildLoggerParams, flushLogs } from './logging';
export { loadObservabilityConfig, observabilityConfig, type ObservabilityConfig } from './observability.config';
export { ObservabilityModule, type ObservabilityModuleOptions } from './observability.module';
export { type MetricsServerAddress } from './metrics-server';
export { ReadinessState } from './readiness.state';
export { AppLogger } from './app-logger';
export { HistogramSeries, SeriesHistogram } from './series-histogram';
export { flushTallies, tallyCounter } from './counter-tally';
export { PROBE_ROUTES, serveProbesOnly } from './probe-routes';
export { installRequestTracing, traceIdOfRequest } from './tracing/request-tracing';
export { recordingSpan, shutdownTracing, startTracing, TRACER_NAME, traceLogFields, tracingStarted } from './tracing/tracing';
export { loadTracingConfig, tracingConfig, type TracingConfig } from './tracing/tracing.config';
