import { Logger as NestLogger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { getToken } from '@willsoto/nestjs-prometheus';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig, loadAppConfig, loadDotEnvFile, validateAll } from '@app/config';
import { DatabaseConfig, redactDatabaseErrorText } from '@app/database';
import {
  AllExceptionsFilter,
  clientVersionContract,
  type ClientVersionGateOptions,
  createApiDocument,
  createFastifyAdapter,
  createValidationPipe,
  installBodyHashing,
  installClientVersionGate,
  installEnvelope,
  loadHttpConfig,
  registerErrorClassifier,
  loadReleaseConfig,
  registerErrorTextRedactor,
  type ReleaseConfig,
} from '@app/http';
import {
  AppLogger,
  HTTP_SERVER_REQUESTS_SECONDS,
  type HttpHistogram,
  installRequestObservability,
  installRequestTracing,
  loadObservabilityConfig,
  loadTracingConfig,
  ObservabilityConfig,
  serveProbesOnly,
  startTracing,
  tracingStarted,
} from '@app/observability';
import {
  circuitBreakerContract,
  classifyDatabaseError,
  classifyRedisError,
  loadRateLimitConfig,
  rateLimitContract,
  type RateLimitConfig,
} from '@app/resilience';
import { AppModule } from './app.module';
import { accessContract, type AuthConfig } from './auth';
import { configurations } from './configurations';
import { startEmbeddedWechatEmulator } from './embedded-wechat';

export const API_PREFIX = 'api/v1';
/** Where the client version gate applies: the API, except the route that tells a client the minimum. */
const VERSION_GATE: ClientVersionGateOptions = { guardedPrefix: `/${API_PREFIX}/`, exemptPaths: [`/${API_PREFIX}/version`] };

/**
 * Builds the fully configured application without listening, so main.ts and the e2e
 * suite run exactly the same pipeline.
 */
export async function createApp(): Promise<NestFastifyApplication> {
  loadDotEnvFile();
  // Every variable is checked before anything connects, and all problems are reported together.
  const env = process.env;
  validateAll(configurations.map((namespace) => () => namespace.loadFrom(env)));
  const embeddedWechat = await startEmbeddedWechatEmulator(env);
  // Read before Nest starts: the adapter and the module list depend on them.
  const bootConfig = loadAppConfig(env);
  const metricsPort = loadObservabilityConfig(env).metricsPort;
  // OpenTelemetry only with OTEL_EXPORTER_OTLP_ENDPOINT set; before Nest starts, so the logger gets trace ids
  startTracing(loadTracingConfig(env), { version: loadReleaseConfig(env).version, role: bootConfig.role });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      testRoutesEnabled: bootConfig.testRoutesEnabled,
      rateLimitEnabled: loadRateLimitConfig(env).enabled,
      metricsServer: metricsPort === null ? null : { host: bootConfig.host, port: metricsPort },
    }),
    createFastifyAdapter(loadHttpConfig(env)),
    // from the start of app.close() new requests get 503 in the envelope (libs/http fastify-adapter.ts)
    { bufferLogs: true, abortOnError: false, return503OnClosing: true },
  );
  app.useLogger(app.get(AppLogger));
  app.flushLogs();
  // first of the request hooks, so every later one and the handler run in the request's trace
  if (tracingStarted()) installRequestTracing(app.getHttpAdapter().getInstance());
  // before any route is registered: a worker process answers only health and metrics
  if (bootConfig.role === 'worker') serveProbesOnly(app.getHttpAdapter().getInstance());

  const config = app.get(ConfigService);
  const appConfig = config.getOrThrow<AppConfig>('app');
  const observability = config.getOrThrow<ObservabilityConfig>('observability');
  describeProfile(appConfig, config.getOrThrow<DatabaseConfig>('database'), embeddedWechat);

  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  // each dependency's errors are mapped once, by the lib that talks to it: 503/504 with a code, never 500
  registerErrorClassifier(classifyDatabaseError);
  registerErrorClassifier(classifyRedisError);
  // and what their errors may say in a log line: a database quotes the offending value
  registerErrorTextRedactor(redactDatabaseErrorText);
  app.useGlobalFilters(new AllExceptionsFilter());
  const release = config.getOrThrow<ReleaseConfig>('release');
  installClientVersionGate(app.getHttpAdapter().getInstance(), release, VERSION_GATE);
  installEnvelope(app.getHttpAdapter().getInstance(), { rawPathPrefixes: appConfig.docsEnabled ? ['/docs'] : [] });
  const authConfig = config.getOrThrow<AuthConfig>('auth');
  if (authConfig.signing !== 'off') installBodyHashing(app.getHttpAdapter().getInstance(), { everyRoute: authConfig.signing === 'all' });
  installRequestObservability(app.getHttpAdapter().getInstance(), {
    logger: observability.httpLogEnabled ? PinoLogger.root : null,
    histogram: observability.metricsEnabled
      ? app.get<HttpHistogram>(getToken(HTTP_SERVER_REQUESTS_SECONDS))
      : null,
  });
  if (appConfig.docsEnabled) {
    const document = createApiDocument(
      app,
      new DocumentBuilder()
        .setTitle('WeChat mini-program backend')
        .setDescription('Every JSON response is { code, message, data, requestId }; code 0 is success.')
        .setVersion('1')
        .addBearerAuth()
        .build(),
      // each layer's rule documents what it adds to routes (errors, headers), from route metadata
      [accessContract(authConfig), clientVersionContract(release, VERSION_GATE), rateLimitContract(config.getOrThrow<RateLimitConfig>('rateLimit')), circuitBreakerContract],
    );
    SwaggerModule.setup('docs', app, document);
  }
  await app.init();
  return app;
}

function describeProfile(app: AppConfig, database: DatabaseConfig, embeddedWechat: string | null): void {
  const logger = new NestLogger('Bootstrap');
  if (database.type === 'sqlite') {
    logger.log(
      `Profile: embedded (NODE_ENV=${app.nodeEnv}). Data: SQLite file ${database.path}; ` +
        'cache, rate limits, pub/sub and jobs in process. Set DB_HOST and REDIS_URL for the production profile.',
    );
  } else {
    logger.log(
      `Profile: production (NODE_ENV=${app.nodeEnv}). Data: MySQL ${database.host}:${database.port}/${database.database}, ` +
        `pool ${database.pool.connectionLimit}; cache, rate limits, pub/sub and jobs on Redis.`,
    );
  }
  if (embeddedWechat) {
    logger.log(
      `WeChat: no WECHAT_APP_ID/WECHAT_APP_SECRET set, so logins go to the built-in WeChat emulator at ${embeddedWechat} ` +
        '(any wx.login code works; control API at /__control).',
    );
  }
}
