import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { flushLogs, ReadinessState } from '@app/observability';

export interface ShutdownTiming {
  /** Serve on (readiness already 503) so the load balancer stops routing here first. */
  delayMs: number;
  /** Most time in-flight requests get before their connections are cut. */
  drainMs: number;
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once, in-flight requests finish (bounded by
 * drainMs), then Nest closes the server, the DB pool and Redis, and the process exits 0.
 * Nest's own enableShutdownHooks() would close at once, without the readiness window.
 */
export function installGracefulShutdown(
  app: NestFastifyApplication,
  timing: ShutdownTiming,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const logger = new Logger('Shutdown');
  const readiness = app.get(ReadinessState);
  let started = false;

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (started) return;
    started = true;
    readiness.beginShutdown();
    logger.log({ signal, ...timing }, `${signal} received: readiness is now 503, draining`);
    if (timing.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, timing.delayMs));

    const server = app.getHttpServer();
    const drainTimer = setTimeout(() => {
      logger.warn({ drainMs: timing.drainMs }, 'drain time exceeded: closing the remaining connections');
      server.closeAllConnections();
    }, timing.drainMs);
    drainTimer.unref();
    // Node closes idle keep-alive sockets once, when close() starts; a socket whose request
    // finishes later would hold the server open until its keep-alive timeout.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    idleSweep.unref();
    try {
      await app.close();
      logger.log('shutdown complete');
      flushLogs();
      exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      flushLogs();
      exit(1);
    } finally {
      clearTimeout(drainTimer);
      clearInterval(idleSweep);
    }
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}
