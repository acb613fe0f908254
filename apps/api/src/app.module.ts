import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { cacheConfig, TwoLevelCacheModule } from '@app/cache';
import { appConfig } from '@app/config';
import { databaseConfig, DatabaseModule } from '@app/database';
import { httpConfig, IdempotencyModule } from '@app/http';
import { observabilityConfig, ObservabilityModule } from '@app/observability';
import { redisConfig, RedisModule } from '@app/redis';
import { circuitBreakerConfig, CircuitBreakerModule, rateLimitConfig, RateLimitModule } from '@app/resilience';
import { wechatConfig, WechatModule } from '@app/wechat';
import { authConfig } from './auth/auth.config';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
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
          load: [
            appConfig,
            httpConfig,
            databaseConfig,
            redisConfig,
            observabilityConfig,
            rateLimitConfig,
            circuitBreakerConfig,
            cacheConfig,
            authConfig,
            wechatConfig,
          ],
        }),
        ObservabilityModule.forRoot(),
        DatabaseModule.forRoot({ migrations }),
        RedisModule,
        TwoLevelCacheModule,
        CircuitBreakerModule,
        WechatModule,
        // before RateLimitModule: its global guard must run first (limits count per principal)
        AuthModule,
        RateLimitModule.forRoot({ enabled: options.rateLimitEnabled }),
        IdempotencyModule,
        PingModule,
        UserModule,
        AdminModule,
        ...(options.testRoutesEnabled ? [DiagnosticsModule] : []),
      ],
    };
  }
}
