export { loadRedisConfig, redisConfig, type RedisConfig } from './redis.config';
export { RedisModule } from './redis.module';
export { FailFastRedis, REDIS_FAILING_FAST, RedisFailingFastError } from './fail-fast-redis';
export { type GuardedRedis, PASS_THROUGH, redactUrl, type RedisCircuitPort, RedisService } from './redis.service';
