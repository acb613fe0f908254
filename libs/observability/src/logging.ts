import pino from 'pino';
import type { Params } from 'nestjs-pino';
import { LineBatcher, type LineSink } from './line-batcher';
import { REDACT_PATHS, REDACTED } from './log-redaction';
import { ObservabilityConfig } from './observability.config';
import { traceLogFields, tracingStarted } from './tracing/tracing';

/**
 * Where JSON log lines go: stdout, written synchronously through sonic-boom one ~12 KB batch
 * at a time (LineBatcher): one write syscall per ~40 request lines instead of one per line.
 * Synchronous on purpose: sonic-boom's asynchronous mode (an fs.write through the libuv
 * threadpool per flush) took ~9% of the ping route's CPU in the bench profile, the
 * synchronous write ~1%. The cost is that a log reader that stops draining the pipe stalls
 * the process instead of growing its memory. What is pending is written every
 * LOG_FLUSH_INTERVAL_MS, so at low traffic a line reaches the log within that time (and a
 * crash loses at most that much), and shutdown flushes the rest (flushLogs).
 */
// one write syscall per ~40 request lines; a batch is handed on once it reaches this size
const LOG_BATCH_BYTES = 12 * 1024;
const LOG_FLUSH_INTERVAL_MS = 200;

let jsonDestination: pino.DestinationStream & { flushSync?: () => void } = process.stdout;

export function flushLogs(): void {
  try {
    jsonDestination.flushSync?.();
  } catch {
    // nothing buffered, or stdout already closed
  }
}

/**
 * nestjs-pino as the application logger. Its per-request middleware (pino-http through
 * middie, a child logger and AsyncLocalStorage per request) cut throughput by about 3×
 * here, so request lines are written by a Fastify hook instead (installRequestObservability).
 */
export function buildLoggerParams(config: ObservabilityConfig): Params {
  const options = loggerOptions(config);
  if (config.logPretty) return { forRoutes: [], pinoHttp: options };
  // sonic-boom unbuffered, taking bytes: the batcher encodes lines and hands it whole batches
  const sonic = pino.destination({ dest: 1, minLength: 0, sync: true, contentMode: 'buffer' });
  // sonic-boom's typings describe only its utf8 mode; in buffer mode write() takes Buffers
  jsonDestination = new LineBatcher(sonic as unknown as LineSink, {
    batchBytes: LOG_BATCH_BYTES,
    flushIntervalMs: LOG_FLUSH_INTERVAL_MS,
  });
  return { forRoutes: [], pinoHttp: [options, jsonDestination] };
}

/** The pino options of the application logger (the request-line spec builds a logger from them too). */
export function loggerOptions(config: ObservabilityConfig): pino.LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // the trace and span of the line's context (OTEL_EXPORTER_OTLP_ENDPOINT set): logs and traces join on traceId
    mixin: tracingStarted() ? traceLogFields : undefined,
    transport: config.logPretty
      ? {
          target: 'pino-pretty',
          options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
        }
      : undefined,
  };
}
