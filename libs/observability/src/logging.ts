import pino from 'pino';
import type { Params } from 'nestjs-pino';
import { REDACT_PATHS, REDACTED } from './log-redaction';
import { ObservabilityConfig } from './observability.config';

/**
 * Where JSON log lines go: stdout through a buffered, asynchronous writer. A synchronous
 * write per line costs a syscall per request at tens of thousands of requests per second;
 * the buffer is flushed on shutdown (flushLogs) so the last lines are not lost.
 */
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
  const options = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    transport: config.logPretty
      ? {
          target: 'pino-pretty',
          options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
        }
      : undefined,
  };
  if (config.logPretty) return { forRoutes: [], pinoHttp: options };
  jsonDestination = pino.destination({ dest: 1, minLength: 4096, sync: false });
  return { forRoutes: [], pinoHttp: [options, jsonDestination] };
}
