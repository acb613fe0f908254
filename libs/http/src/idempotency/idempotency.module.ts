import { Global, Module } from '@nestjs/common';
import { RedisService } from '@app/redis';
import { IDEMPOTENCY_STORE } from './idempotency.interceptor';
import { IdempotencyStore, MemoryIdempotencyStore, RedisIdempotencyStore } from './idempotency.store';

@Global()
@Module({
  providers: [
    {
      provide: IDEMPOTENCY_STORE,
      inject: [RedisService],
      useFactory: (redis: RedisService): IdempotencyStore =>
        redis.storeFor<IdempotencyStore>((client) => new RedisIdempotencyStore(client), () => new MemoryIdempotencyStore()),
    },
  ],
  exports: [IDEMPOTENCY_STORE],
})
export class IdempotencyModule {}
