import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig } from '@app/config';
import { databaseConfig, DatabaseModule } from '@app/database';
import { httpConfig } from '@app/http';
import { observabilityConfig, ObservabilityModule } from '@app/observability';
import { redisConfig, RedisModule } from '@app/redis';
import { rateLimitConfig, RateLimitModule } from '@app/resilience';
import { DiagnosticsModule } from './diagnostics/diagnostics.module';
import { migrations } from './migrations';
import { PingModule } from './ping/ping.module';
import { UserModule } from './user/user.module';

export interface AppModuleOptions {
  testRoutesEnabled: boolean;
  rateLimitEnabled: boolean;
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
          load: [appConfig, httpConfig, databaseConfig, redisConfig, observabilityConfig, rateLimitConfig],
        }),
        ObservabilityModule.forRoot(),
        DatabaseModule.forRoot({ migrations }),
        RedisModule,
        RateLimitModule.forRoot({ enabled: options.rateLimitEnabled }),
        PingModule,
        UserModule,
        ...(options.testRoutesEnabled ? [DiagnosticsModule] : []),
      ],
    };
  }
}
