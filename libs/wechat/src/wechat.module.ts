import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RedisService } from '@app/redis';
import { CircuitBreakerRegistry } from '@app/resilience';
import { type AccessTokenStore, MemoryAccessTokenStore, RedisAccessTokenStore } from './access-token.store';
import { WechatApiClient } from './wechat-api.client';
import type { WechatConfig } from './wechat.config';

/** WeChat's server API for every feature (login, phone numbers, later subscribe messages). */
@Global()
@Module({
  providers: [
    {
      provide: WechatApiClient,
      inject: [ConfigService, CircuitBreakerRegistry, RedisService],
      useFactory: (configService: ConfigService, breakers: CircuitBreakerRegistry, redis: RedisService) => {
        const config = configService.getOrThrow<WechatConfig>('wechat');
        const tokens = redis.storeFor<AccessTokenStore>(
          (client) => new RedisAccessTokenStore(client, `wechat:access-token:${config.appId}`),
          () => new MemoryAccessTokenStore(),
        );
        // WECHAT_TIMEOUT_MS is the wechat circuit's call timeout (CIRCUIT_TIMEOUT_MS is for the other circuits)
        return new WechatApiClient(config, breakers.for('wechat', { timeoutMs: config.timeoutMs }), tokens);
      },
    },
  ],
  exports: [WechatApiClient],
})
export class WechatModule implements OnApplicationShutdown {
  constructor(@Inject(WechatApiClient) private readonly client: WechatApiClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
