export { loadRedisConfig, redisConfig, type RedisConfig } from './redis.config';
export { RedisModule } from './redis.module';
export { redactUrl, RedisService } from './redis.service';
