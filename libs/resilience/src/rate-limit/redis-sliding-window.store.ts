import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SLIDING_WINDOW_LUA, SlidingWindowDecision, SlidingWindowStore } from './sliding-window';

type SlidingWindowRedis = Redis & {
  slidingWindowHit(
    logKey: string,
    blockKey: string,
    windowMs: number,
    limit: number,
    blockMs: number,
    member: string,
  ): Promise<[number, number, number, number]>;
};

/** Shared by every instance: all of them count against one Redis. */
export class RedisSlidingWindowStore implements SlidingWindowStore {
  private readonly redis: SlidingWindowRedis;
  // unique per process, so two instances hitting in the same millisecond never collide
  private readonly instanceTag = randomBytes(4).toString('hex');
  private sequence = 0;

  constructor(
    redis: Redis,
    private readonly keyPrefix = 'rl:',
  ) {
    if (!('slidingWindowHit' in redis)) {
      // defineCommand sends EVALSHA and falls back to EVAL once when the script is not cached
      redis.defineCommand('slidingWindowHit', { numberOfKeys: 2, lua: SLIDING_WINDOW_LUA });
    }
    this.redis = redis as SlidingWindowRedis;
  }

  async hit(key: string, windowMs: number, limit: number, blockMs: number): Promise<SlidingWindowDecision> {
    this.sequence = (this.sequence + 1) % 1_000_000_000;
    const [count, allowed, resetMs, blockedForMs] = await this.redis.slidingWindowHit(
      `${this.keyPrefix}${key}`,
      `${this.keyPrefix}${key}:blocked`,
      windowMs,
      limit,
      blockMs,
      `${this.instanceTag}:${this.sequence}`,
    );
    return { count, allowed: allowed === 1, resetMs: Math.max(0, resetMs), blockedForMs };
  }
}
