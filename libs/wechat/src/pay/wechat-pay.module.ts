import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CircuitBreakerRegistry } from '@app/resilience';
import { WechatPayClient } from './wechat-pay.client';
import type { WechatPayConfig } from './wechat-pay.config';
import { WechatPayGateway } from './wechat-pay.gateway';

/**
 * WeChat Pay for every feature: inject `WechatPayGateway` (the contract; WechatPayClient behind it).
 * Global, like WechatModule; closes its connection pool on shutdown.
 */
@Global()
@Module({
  providers: [
    {
      provide: WechatPayClient,
      inject: [ConfigService, CircuitBreakerRegistry],
      useFactory: (configService: ConfigService, breakers: CircuitBreakerRegistry) => {
        const config = configService.getOrThrow<WechatPayConfig>('wechatPay');
        const logger = new Logger('WechatPay');
        if (!config.enabled) logger.log('WeChat Pay is disabled (no WECHAT_PAY_MCH_ID, or WECHAT_PAY_ENABLED=false): payment calls answer 503 (4501)');
        else if (config.usingEmulatorKeys) logger.warn({ apiBase: config.apiBase }, 'WeChat Pay goes to the emulator with its public dev keys (embedded profile)');
        // WECHAT_PAY_TIMEOUT_MS is the wechatpay circuit's call timeout
        return new WechatPayClient(config, breakers.for('wechatpay', { timeoutMs: config.timeoutMs }));
      },
    },
    { provide: WechatPayGateway, useExisting: WechatPayClient },
  ],
  exports: [WechatPayGateway, WechatPayClient],
})
export class WechatPayModule implements OnApplicationShutdown {
  constructor(@Inject(WechatPayClient) private readonly client: WechatPayClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
