import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getToken, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { RedisService } from '@app/redis';
import { CacheConfig } from './cache.config';
import { CACHE_REQUESTS_TOTAL } from './cache.observability';
import { flushCacheMetrics, prometheusCacheMetrics } from './prometheus-cache-metrics';
import { TwoLevelCache } from './two-level-cache';

/**
 * Provides TwoLevelCache to every feature: Redis-backed with pub/sub invalidation in
 * production, in process only in the embedded profile (one process, nothing to broadcast to).
 */
@Global()
@Module({
  providers: [
    makeCounterProvider({
      name: CACHE_REQUESTS_TOTAL,
      help: 'Cache lookups by layer (local, redis) and result (hit, miss, error: Redis failed, loader used)',
      labelNames: ['layer', 'result'],
      collect() {
        flushCacheMetrics(this);
      },
    }),
    {
      provide: TwoLevelCache,
      inject: [ConfigService, RedisService, getToken(CACHE_REQUESTS_TOTAL)],
      useFactory: async (
        configService: ConfigService,
        redis: RedisService,
        counter: Counter<'layer' | 'result'>,
      ): Promise<TwoLevelCache> => {
        const cache = new TwoLevelCache({
          config: configService.getOrThrow<CacheConfig>('cache'),
          redis: redis.client,
          subscriber: redis.enabled ? redis.duplicate('cache-invalidation') : null,
          metrics: prometheusCacheMetrics(counter),
          logger: new Logger('Cache'),
        });
        // no local copies are served before the instance hears invalidations
        await cache.start(configService.getOrThrow<number>('redis.connectTimeoutMs'));
        return cache;
      },
    },
  ],
  exports: [TwoLevelCache],
})
export class TwoLevelCacheModule {}
