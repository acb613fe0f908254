import pino from 'pino';
import type { Params } from 'nestjs-pino';
import { REDACT_PATHS, REDACTED } from './log-redaction';
import { ObservabilityConfig } from './observability.config';

/**
 * Where JSON log lines go: stdout through a 4 KB buffer (sonic-boom), written synchronously
 * once full: one write syscall per dozen request lines instead of one per line. Synchronous
 * on purpose: sonic-boom's asynchronous mode (an fs.write through the libuv threadpool per
 * flush) took ~9% of the ping route's CPU in the bench profile, the synchronous 4 KB write ~1%.
 * The cost is that a log reader that stops draining the pipe stalls the process instead of
 * growing its memory. The buffer is flushed on shutdown (flushLogs) so no line is lost.
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
  jsonDestination = pino.destination({ dest: 1, minLength: 4096, sync: true });
  return { forRoutes: [], pinoHttp: [options, jsonDestination] };
}
