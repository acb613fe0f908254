import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TwoLevelCacheModule } from '@app/cache';
import { DatabaseModule } from '@app/database';
import { EventsModule } from '@app/events';
import { IdempotencyModule } from '@app/http';
import { JobsModule } from '@app/jobs';
import { type MetricsServerAddress, ObservabilityModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { CircuitBreakerModule, CircuitBreakerRegistry, RateLimitModule } from '@app/resilience';
import { WechatModule, WechatPayModule } from '@app/wechat';
import { AdminModule } from './admin';
import { AuthModule } from './auth';
import { CatalogueModule } from './catalogue';
import { configurations } from './configurations';
import { DiagnosticsModule } from './diagnostics';
import { migrations } from './migrations';
import { OrderModule } from './order';
import { PingModule } from './ping';
import { UploadModule } from './upload';
import { UserModule } from './user';
import { VersionModule } from './version';

export interface AppModuleOptions {
  testRoutesEnabled: boolean;
  rateLimitEnabled: boolean;
  /** GET /metrics on a port of its own (METRICS_PORT), else null: on the API's port. */
  metricsServer: MetricsServerAddress | null;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          // createApp() has loaded .env already, before validating the whole environment
          ignoreEnvFile: true,
          load: [...configurations],
        }),
        ObservabilityModule.forRoot({ metricsServer: options.metricsServer }),
        DatabaseModule.forRoot({
          migrations,
          // once the database stalls, callers fail fast (503, 7030) until a background probe gets an answer
          connectionGate: { inject: [CircuitBreakerRegistry], useFactory: (breakers: CircuitBreakerRegistry) => breakers.for('database') },
        }),
        RedisModule,
        // job queues and domain events: workers and the outbox relay run unless APP_ROLE=api
        JobsModule.forRoot(),
        EventsModule,
        TwoLevelCacheModule,
        CircuitBreakerModule,
        WechatModule,
        WechatPayModule,
        // before RateLimitModule: its global guard must run first (limits count per principal)
        AuthModule,
        RateLimitModule.forRoot({ enabled: options.rateLimitEnabled }),
        IdempotencyModule,
        PingModule,
        VersionModule,
        UserModule,
        AdminModule,
        CatalogueModule,
        OrderModule,
        UploadModule,
        ...(options.testRoutesEnabled ? [DiagnosticsModule] : []),
      ],
    };
  }
}
