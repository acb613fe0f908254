export { DependencyErrors, ResilienceError } from './resilience.errors';
export { loadRateLimitConfig, rateLimitConfig, type RateLimitConfig } from './rate-limit/rate-limit.config';
export {
  NoRateLimit,
  RateLimit,
  RateLimitPolicy,
  type RateLimitKeyBy,
  type RateLimitOptions,
} from './rate-limit/rate-limit.decorators';
export { RateLimitModule } from './rate-limit/rate-limit.module';
export { rateLimitContract } from './rate-limit/rate-limit.contract';
export { MemorySlidingWindowStore } from './rate-limit/memory-sliding-window.store';
export { RedisSlidingWindowStore } from './rate-limit/redis-sliding-window.store';
export {
  circuitBreakerConfig,
  loadCircuitBreakerConfig,
  type CircuitBreakerConfig,
  type CircuitBreakerOptions,
} from './circuit-breaker/circuit-breaker.config';
export { CircuitBreaker } from './circuit-breaker/circuit-breaker.decorator';
export { circuitBreakerContract } from './circuit-breaker/circuit-breaker.contract';
export { CircuitBreakerInterceptor } from './circuit-breaker/circuit-breaker.interceptor';
export {
  CIRCUIT_CALLS_TOTAL,
  CIRCUIT_STATE,
  CircuitStateValue,
  type CircuitState,
} from './circuit-breaker/circuit-breaker.metrics';
export { CircuitBreakerModule } from './circuit-breaker/circuit-breaker.module';
export { CircuitBreakerRegistry } from './circuit-breaker/circuit-breaker.registry';
export { DependencyBreaker, isDependencyError, type DependencyCallOptions } from './circuit-breaker/dependency-breaker';
export { backoffDelayMs, retryWithBackoff, type RetryOptions } from './circuit-breaker/retry-with-backoff';
export { DatabaseError } from './dependencies/database.errors';
export { classifyDatabaseError } from './dependencies/database-error.classifier';
export { RedisError } from './dependencies/redis.errors';
export { classifyRedisError } from './dependencies/redis-error.classifier';
export { RedisCircuit } from './dependencies/redis-circuit';
export { ExhaustedKeys, KeyedLimiter } from './hot-keys/keyed-limiter';
