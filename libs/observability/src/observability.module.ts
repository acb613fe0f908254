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
import { ObservabilityConfig } from './observability.config';
import { ReadinessState } from './readiness.state';
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

/** Logs, metrics and probes: how the service is seen from outside. */
@Module({})
export class ObservabilityModule {
  static forRoot(): DynamicModule {
    return {
      module: ObservabilityModule,
      global: true,
      imports: [
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (configService: ConfigService) =>
            buildLoggerParams(configService.getOrThrow<ObservabilityConfig>('observability')),
        }),
        PrometheusModule.register({
          path: '/metrics',
          controller: MetricsController,
          defaultMetrics: { enabled: true },
        }),
        // terminus logs every failed check as an error: a probe every second during an outage is a
        // storm; the 503 carries the details and the exception filter logs one line per interval
        TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
      ],
      controllers: [HealthController],
      providers: [ReadinessState, httpHistogram, AppLogger],
      exports: [ReadinessState, httpHistogram, AppLogger],
    };
  }
}
