import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getToken, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { flushTallies, tallyCounter } from '@app/observability';
import { RedisService } from '@app/redis';
import { CacheConfig } from './cache.config';
import { CACHE_REQUESTS_TOTAL, CACHE_SERIES, CacheLayer, CacheMetrics, CacheResult } from './cache.observability';
import { TwoLevelCache } from './two-level-cache';

/**
 * cache_requests_total, counted per lookup through tallyCounter (performance note 0018: a cache hit is
 * the cheapest request there is, and prom-client's labelled inc() was ~0.5% of its CPU). The
 * counter's collect must call flushTallies. Every series exists from the start, so rates and
 * ratios work before the first miss.
 */
function prometheusCacheMetrics(counter: Counter<'layer' | 'result'>): CacheMetrics {
  const increments: Partial<Record<CacheLayer, Partial<Record<CacheResult, () => void>>>> = {};
  for (const [layer, result] of CACHE_SERIES) (increments[layer] ??= {})[result] = tallyCounter(counter, { layer, result });
  return { record: (layer, result) => increments[layer]?.[result]?.() };
}

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
        flushTallies(this);
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
          guard: redis,
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
