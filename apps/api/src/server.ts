import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfig, ConfigValidationError } from '@app/config';
import { HttpConfig } from '@app/http';
import { ObservabilityConfig } from '@app/observability';
import { createApp } from './app.factory';
import { installGracefulShutdown } from './lifecycle';

/**
 * Boots the API and listens. Kept apart from main.ts (which only calls it) so the
 * production bundle can be loaded, and its V8 code cache written, without starting a
 * server (scripts/bundle-api.mjs, ADR 0011).
 */
export function startServer(): Promise<void> {
  return listen().catch((error: unknown) => {
    // Boot failures are configuration or connectivity problems: say which, without a stack.
    const reason =
      error instanceof ConfigValidationError ? error.message : `Failed to start: ${(error as Error)?.message ?? error}`;
    process.stderr.write(`${reason}\n`);
    process.exit(1);
  });
}

async function listen(): Promise<void> {
  const app = await createApp();
  const config = app.get(ConfigService);
  const appConfig = config.getOrThrow<AppConfig>('app');
  const http = config.getOrThrow<HttpConfig>('http');
  installGracefulShutdown(app, {
    delayMs: appConfig.shutdownDelayMs,
    drainMs: appConfig.shutdownDrainMs,
    forceExitMs: appConfig.shutdownForceExitMs,
  });
  await app.listen({ port: appConfig.port, host: appConfig.host, backlog: http.backlog });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : appConfig.port;
  const shownHost = appConfig.host === '0.0.0.0' ? 'localhost' : appConfig.host;
  const { metricsPort } = config.getOrThrow<ObservabilityConfig>('observability');
  new Logger('Bootstrap').log(
    `API ready on http://${shownHost}:${port}/api/v1 (health /health/ready, ` +
      `metrics ${metricsPort === null ? '/metrics' : `on port ${metricsPort}`}${appConfig.docsEnabled ? ', docs /docs' : ''})`,
  );
}
