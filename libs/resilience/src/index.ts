export { ResilienceError } from './resilience.errors';
export { loadRateLimitConfig, rateLimitConfig, type RateLimitConfig } from './rate-limit/rate-limit.config';
export {
  NoRateLimit,
  RateLimit,
  RateLimitPolicy,
  type RateLimitKeyBy,
  type RateLimitOptions,
} from './rate-limit/rate-limit.decorators';
export { RateLimitModule } from './rate-limit/rate-limit.module';
export { MemorySlidingWindowStore } from './rate-limit/memory-sliding-window.store';
export { RedisSlidingWindowStore } from './rate-limit/redis-sliding-window.store';
