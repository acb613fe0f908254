import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { makeHistogramProvider, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health.controller';
import { HTTP_LATENCY_BUCKETS, HTTP_SERVER_REQUESTS_SECONDS } from './http-metrics';
import { AppLogger } from './app-logger';
import { buildLoggerParams } from './logging';
import { MetricsController } from './metrics.controller';
import { ObservabilityConfig } from './observability.config';
import { ReadinessState } from './readiness.state';

const httpHistogram = makeHistogramProvider({
  name: HTTP_SERVER_REQUESTS_SECONDS,
  help: 'HTTP requests answered, by method, route template and status, in seconds',
  labelNames: ['method', 'route', 'status'],
  buckets: HTTP_LATENCY_BUCKETS,
});

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
        TerminusModule.forRoot({ errorLogStyle: 'json' }),
      ],
      controllers: [HealthController],
      providers: [ReadinessState, httpHistogram, AppLogger],
      exports: [ReadinessState, httpHistogram, AppLogger],
    };
  }
}
