import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { flushLogs, ReadinessState } from '@app/observability';
import { RedisService } from '@app/redis';

export interface ShutdownTiming {
  /** Serve on (readiness already 503) so the load balancer stops routing here first. */
  delayMs: number;
  /** Most time in-flight requests get before their connections are cut. */
  drainMs: number;
  /**
   * Most time closing the pool and clients may take once the server is closed (or the drain time
   * is over): then the process exits anyway, with code 1. A stalled database never answers the
   * pool's goodbye, and the pod would otherwise hang until Kubernetes kills it.
   */
  forceExitMs: number;
}

/** Exit code of a shutdown that had to give up on closing something. */
const FORCED_EXIT_CODE = 1;

function lookup<T>(app: NestFastifyApplication, token: abstract new (...args: never[]) => T): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
  }
}

/** What the process still holds when it has to force its exit: named resources, then Node's handle counts. */
function stillOpen(app: NestFastifyApplication): { resources: string[]; handles: Record<string, number> } {
  const resources: string[] = [];
  if (app.getHttpServer().listening) resources.push('http server');
  if (lookup(app, DataSource)?.isInitialized) resources.push('database pool');
  const redis = lookup(app, RedisService)?.client;
  if (redis && redis.status !== 'end') resources.push('redis');
  const handles: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) handles[type] = (handles[type] ?? 0) + 1;
  return { resources, handles };
}

/**
 * SIGTERM/SIGINT: readiness turns 503 at once, in-flight requests finish (bounded by
 * drainMs), then Nest closes the server, the DB pool and Redis, and the process exits 0.
 * Whatever happens, it exits within delayMs + drainMs + forceExitMs of the signal: code 1, with
 * one log line naming what was still open, when closing did not finish in time.
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

    let exited = false;
    let forceTimer: NodeJS.Timeout | undefined;
    const finish = (code: number): void => {
      if (exited) return;
      exited = true;
      clearTimeout(drainTimer);
      clearTimeout(forceTimer);
      clearInterval(idleSweep);
      flushLogs();
      exit(code);
    };
    // referenced on purpose: a close that hangs on a promise alone must not let the process end with 0
    const armForceExit = (): void => {
      forceTimer ??= setTimeout(() => {
        const open = stillOpen(app);
        logger.error(
          { forceExitMs: timing.forceExitMs, stillOpen: open.resources, handles: open.handles },
          `shutdown did not finish: closing took longer than ${timing.forceExitMs} ms (SHUTDOWN_FORCE_EXIT_MS), ` +
            `exiting with code ${FORCED_EXIT_CODE}; still open: ${open.resources.join(', ') || 'no named resource'}`,
        );
        finish(FORCED_EXIT_CODE);
      }, timing.forceExitMs);
    };

    const server = app.getHttpServer();
    server.once('close', armForceExit);
    const drainTimer = setTimeout(() => {
      logger.warn({ drainMs: timing.drainMs }, 'drain time exceeded: closing the remaining connections');
      server.closeAllConnections();
      armForceExit();
    }, timing.drainMs);
    drainTimer.unref();
    // Node closes idle keep-alive sockets once, when close() starts; a socket whose request
    // finishes later would hold the server open until its keep-alive timeout.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    idleSweep.unref();
    try {
      await app.close();
      logger.log('shutdown complete');
      finish(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      finish(1);
    }
  };

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}
