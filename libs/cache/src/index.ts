export { cacheConfig, loadCacheConfig, type CacheConfig } from './cache.config';
export { CACHE_REQUESTS_TOTAL, type CacheLayer, type CacheMetrics, type CacheResult } from './cache.observability';
export { TwoLevelCache, type CacheLoader, type PrewarmEntry, type TwoLevelCacheOptions } from './two-level-cache';
export { TwoLevelCacheModule } from './two-level-cache.module';
