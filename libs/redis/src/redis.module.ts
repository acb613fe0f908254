import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RedisConfig } from './redis.config';
import { REDIS_CONFIG, RedisService } from './redis.service';

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CONFIG,
      inject: [ConfigService],
      useFactory: (configService: ConfigService): RedisConfig => configService.getOrThrow<RedisConfig>('redis'),
    },
    {
      provide: RedisService,
      inject: [REDIS_CONFIG],
      // boot fails with a clear message when the production Redis is unreachable
      useFactory: async (config: RedisConfig): Promise<RedisService> => {
        const service = new RedisService(config);
        try {
          await service.waitUntilReady();
        } catch (error) {
          await service.onApplicationShutdown();
          throw error;
        }
        return service;
      },
    },
  ],
  exports: [RedisService],
})
export class RedisModule {}
