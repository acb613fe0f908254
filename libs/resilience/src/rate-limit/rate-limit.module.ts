import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { flushTallies } from '@app/observability';
import { RedisService } from '@app/redis';
import { MemorySlidingWindowStore } from './memory-sliding-window.store';
import { RateLimitConfig } from './rate-limit.config';
import { RATE_LIMIT_REQUESTS_TOTAL, RateLimitGuard } from './rate-limit.guard';
import { RedisSlidingWindowStore } from './redis-sliding-window.store';
import { SlidingWindowThrottlerStorage } from './sliding-window-throttler.storage';
import type { SlidingWindowStore } from './sliding-window';

/**
 * Rate limiting for every route: a global guard, Redis-backed in production (one limit
 * shared by all instances), in process in the embedded profile.
 */
@Module({})
export class RateLimitModule {
  static forRoot(options: { enabled: boolean }): DynamicModule {
    if (!options.enabled) return { module: RateLimitModule };
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRootAsync({
          inject: [ConfigService, RedisService],
          useFactory: (configService: ConfigService, redis: RedisService) => {
            const config = configService.getOrThrow<RateLimitConfig>('rateLimit');
            const store = redis.storeFor<SlidingWindowStore>(
              (client) => new RedisSlidingWindowStore(client, config.keyPrefix, redis),
              () => new MemorySlidingWindowStore(),
            );
            return {
              throttlers: [{ name: 'default', limit: config.defaultLimit, ttl: config.defaultWindowMs }],
              storage: new SlidingWindowThrottlerStorage(store),
            };
          },
        }),
      ],
      providers: [
        makeCounterProvider({
          name: RATE_LIMIT_REQUESTS_TOTAL,
          help: 'Rate-limit decisions: allowed, limited, or store_error (request let through)',
          labelNames: ['result'],
          // the guard counts through tallyCounter (performance note 0018)
          collect() {
            flushTallies(this);
          },
        }),
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
