import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { getToken, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { register } from 'prom-client';
import { HealthController } from './health.controller';
import { HTTP_LATENCY_BUCKETS, HTTP_SERVER_REQUESTS_SECONDS, type HttpHistogram } from './http-metrics';
import { AppLogger } from './app-logger';
import { buildLoggerParams } from './logging';
import { MetricsController } from './metrics.controller';
import { METRICS_SERVER_ADDRESS, MetricsServer, type MetricsServerAddress } from './metrics-server';
import { ObservabilityConfig } from './observability.config';
import { ReadinessState } from './readiness.state';
import { TracingShutdown } from './tracing/tracing-shutdown';
import { SeriesHistogram } from './series-histogram';

// under the token makeHistogramProvider would use, and like it reusing the metric a second module
// instance in the same process registered (prom-client's default registry holds one per name)
const httpHistogram = {
  provide: getToken(HTTP_SERVER_REQUESTS_SECONDS),
  useFactory: () =>
    (register.getSingleMetric(HTTP_SERVER_REQUESTS_SECONDS) as unknown as HttpHistogram | undefined) ??
    new SeriesHistogram({
      name: HTTP_SERVER_REQUESTS_SECONDS,
      help: 'HTTP requests answered, by method, route template and status, in seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_LATENCY_BUCKETS,
    }),
};

export interface ObservabilityModuleOptions {
  /** GET /metrics on this address instead of the API's port (METRICS_PORT); null: on the API's port. */
  metricsServer: MetricsServerAddress | null;
}

/** Logs, metrics and probes: how the service is seen from outside. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions = { metricsServer: null }): DynamicModule {
    const prometheus = PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true },
    });
    // the registry and default metrics either way; the route on the API's port only without METRICS_PORT
    if (options.metricsServer) prometheus.controllers = [];
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (configService: ConfigService) =>
            buildLoggerParams(configService.getOrThrow<ObservabilityConfig>('observability')),
        }),
        prometheus,
        // terminus logs every failed check as an error: a probe every second during an outage is a
        // storm; readiness logs each change of a dependency's status once, with its reason
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
      ],
      controllers: [HealthController],
      providers: [
        ReadinessState,
        httpHistogram,
        AppLogger,
        TracingShutdown,
        ...(options.metricsServer ? [{ provide: METRICS_SERVER_ADDRESS, useValue: options.metricsServer }, MetricsServer] : []),
      ],
      exports: [ReadinessState, httpHistogram, AppLogger],
    };
  }
}
