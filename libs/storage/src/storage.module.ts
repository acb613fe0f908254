import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CircuitBreakerRegistry } from '@app/resilience';
import { LocalStorageDriver } from './local-storage.driver';
import type { StorageConfig } from './storage.config';
import type { StorageDriver } from './storage-driver';

/** Inject the configured driver: `@Inject(STORAGE) private readonly storage: StorageDriver`. */
export const STORAGE = Symbol('STORAGE');

/**
 * The driver STORAGE_DRIVER names. The S3 one (and the AWS SDK, a third of the bundle's modules)
 * is loaded only when chosen, so the local profile does not pay its start-up.
 */
export async function createStorageDriver(config: StorageConfig, breakers: CircuitBreakerRegistry | null): Promise<StorageDriver> {
  if (config.driver === 'local') return new LocalStorageDriver(config.localDir);
  const { S3StorageDriver } = await import('./s3-storage.driver.js');
  return new S3StorageDriver(
    { ...config.s3 },
    breakers ? breakers.for('storage', { timeoutMs: config.timeoutMs }) : null,
  );
}

@Injectable()
class StorageShutdown implements OnApplicationShutdown {
  constructor(@Inject(STORAGE) private readonly storage: StorageDriver) {}

  onApplicationShutdown(): void {
    (this.storage as StorageDriver & { destroy?: () => void }).destroy?.();
  }
}

/** The object storage chosen by STORAGE_DRIVER (libs/storage), for every feature that keeps files. */
@Global()
@Module({
  providers: [
    {
      provide: STORAGE,
      inject: [ConfigService, CircuitBreakerRegistry],
      useFactory: (config: ConfigService, breakers: CircuitBreakerRegistry) =>
        createStorageDriver(config.getOrThrow<StorageConfig>('storage'), breakers),
    },
    StorageShutdown,
  ],
  exports: [STORAGE],
})
export class StorageModule {}
