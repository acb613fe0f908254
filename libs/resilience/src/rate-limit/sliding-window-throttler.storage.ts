import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from '@nestjs/throttler/dist/throttler-storage-record.interface.js';
import { SlidingWindowStore } from './sliding-window';

/**
 * Adapts a sliding-window store to @nestjs/throttler's storage interface. No published
 * Redis storage installs against Nest 12 (their peer ranges stop at 11), and the one
 * in-process storage that ships with the throttler is a fixed window.
 */
export class SlidingWindowThrottlerStorage implements ThrottlerStorage {
  constructor(readonly store: SlidingWindowStore) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const decision = await this.store.hit(`${throttlerName}:${key}`, ttl, limit, blockDuration);
    return {
      totalHits: decision.allowed ? decision.count : limit + 1,
      timeToExpire: Math.ceil(decision.resetMs / 1000),
      isBlocked: !decision.allowed,
      timeToBlockExpire: Math.ceil(Math.max(decision.blockedForMs, decision.allowed ? 0 : decision.resetMs) / 1000),
    };
  }
}
