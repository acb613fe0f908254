import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type GuardedRedis, PASS_THROUGH } from '@app/redis';
import type { CacheLogger } from './cache.observability';

/**
 * Fill only if nobody wrote the key since the reader saw its version: a loader that read
 * the DB before a concurrent update must not put the old row back into Redis.
 * KEYS: data, version. ARGV: version seen ('' = none), json, ttl ms.
 */
const FILL_LUA = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/**
 * Bump the version, replace or delete the value and tell every instance, in one atomic step.
 * KEYS: data, version. ARGV: channel, message, version ttl ms[, json, ttl ms].
 */
const WRITE_LUA = `
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] then redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5]) else redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1`;

// Must outlive any loader: a load slower than this could see the version vanish and come
// back as it was (expired, bumped, expired again) and fill a value older than the write.
const VERSION_TTL_MS = 600_000;
// a writer cut off from Redis retries this many invalidations once it is back
const MAX_PENDING_INVALIDATIONS = 10_000;

type CacheRedis = Redis & {
  cacheFill(dataKey: string, versionKey: string, seenVersion: string, json: string, ttlMs: number): Promise<number>;
  cacheWrite(dataKey: string, versionKey: string, channel: string, message: string, versionTtlMs: number, ...value: (string | number)[]): Promise<number>;
};

export interface RedisRead {
  json: string | null;
  /** The key's write version when read; a later fill succeeds only if it is unchanged. */
  version: string;
}

export interface RedisLayerEvents {
  /** Another instance changed this key: drop the local copy. */
  onRemoteInvalidation(key: string): void;
  /** Broadcasts sent while not listening are missed: local copies may have gone stale. */
  onListeningChange(listening: boolean): void;
}

/**
 * The shared level: values, write versions and the invalidation channel on Redis. Every
 * call either succeeds or throws at once (the connection does not queue offline), and the
 * caller degrades; only invalidations are retried, because a lost one means stale data.
 */
export class RedisCacheLayer {
  private readonly redis: CacheRedis;
  private readonly channel: string;
  // tags this process's own broadcasts, which it has already applied
  private readonly instanceId = randomBytes(6).toString('hex');
  private readonly pendingInvalidations = new Set<string>();
  private retrying = false;
  private overflowReported = false;
  private listeningNow = false;

  constructor(
    redis: Redis,
    private readonly subscriber: Redis,
    private readonly keyPrefix: string,
    private readonly events: RedisLayerEvents,
    private readonly logger: CacheLogger,
    private readonly guard: GuardedRedis = PASS_THROUGH,
  ) {
    for (const [name, lua] of [['cacheFill', FILL_LUA], ['cacheWrite', WRITE_LUA]] as const) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua });
    }
    this.redis = redis as CacheRedis;
    this.channel = `${keyPrefix}invalidate`;
    redis.on('ready', () => void this.retryPendingInvalidations());
    // a stalled Redis never drops the connection, so 'ready' does not come again: its circuit closing does
    guard.onRecovered(() => void this.retryPendingInvalidations());
  }

  /** False while disconnected or while the 'redis' circuit is open: reads go to the loader without asking. */
  get available(): boolean {
    return this.redis.status === 'ready' && !this.guard.failingFast;
  }

  /** Through the 'redis' circuit: a read that times out opens it for every caller. */
  async read(key: string): Promise<RedisRead> {
    const [json, version] = await this.guard.run(() => this.redis.mget(this.dataKey(key), this.versionKey(key)));
    return { json, version: version ?? '' };
  }

  /** True when stored; false when a write happened since `seenVersion` was read. */
  async fill(key: string, seenVersion: string, json: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.cacheFill(this.dataKey(key), this.versionKey(key), seenVersion, json, ttlMs)) === 1;
  }

  /**
   * Replaces (json given) or deletes the value and broadcasts. Never throws: when Redis is
   * unreachable the key is invalidated again as soon as the connection is back.
   */
  async write(key: string, value: { json: string; ttlMs: number } | null): Promise<void> {
    try {
      await this.redis.cacheWrite(
        this.dataKey(key),
        this.versionKey(key),
        this.channel,
        `${this.instanceId}\n${key}`,
        VERSION_TTL_MS,
        ...(value ? [value.json, value.ttlMs] : []),
      );
      // Redis answers again without having reconnected (it was slow, not down)
      if (this.pendingInvalidations.size > 0) void this.retryPendingInvalidations();
    } catch (error) {
      this.deferInvalidation(key, error);
    }
  }

  /**
   * Subscribes and keeps the subscription across reconnects; resolves once listening and once the
   * command connection is ready too (the two connect separately: a read right after start must
   * not skip Redis because only the subscriber was up).
   */
  async listen(timeoutMs: number): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const split = message.indexOf('\n');
      if (message.slice(0, split) !== this.instanceId) this.events.onRemoteInvalidation(message.slice(split + 1));
    });
    this.subscriber.on('close', () => this.setListening(false));
    const subscribeWhenReady = async (): Promise<void> => {
      try {
        await this.subscriber.subscribe(this.channel);
        this.setListening(true);
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'cache invalidation channel: subscribe failed');
      }
    };
    this.subscriber.on('ready', () => void subscribeWhenReady());
    if (this.subscriber.status === 'ready') await subscribeWhenReady();
    const deadline = Date.now() + timeoutMs;
    await this.waitUntil(() => this.listeningNow, deadline, `cache invalidation channel not subscribed within ${timeoutMs} ms`);
    await this.waitUntil(() => this.available, deadline, `cache Redis connection not ready within ${timeoutMs} ms`);
  }

  private setListening(listening: boolean): void {
    if (listening === this.listeningNow) return;
    this.listeningNow = listening;
    this.events.onListeningChange(listening);
  }

  private async waitUntil(condition: () => boolean, deadline: number, failure: string): Promise<void> {
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(failure);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // one log line when the queue starts and one when it overflows, not one per key
  private deferInvalidation(key: string, error: unknown): void {
    if (this.pendingInvalidations.size === 0) {
      this.logger.warn({ err: (error as Error).message }, 'cache invalidation failed: retrying when Redis is back');
    }
    if (this.pendingInvalidations.size < MAX_PENDING_INVALIDATIONS) {
      this.pendingInvalidations.add(key);
    } else if (!this.overflowReported) {
      this.overflowReported = true;
      this.logger.warn({ max: MAX_PENDING_INVALIDATIONS }, 'cache invalidation retry queue full: further keys stay until their TTL');
    }
  }

  private async retryPendingInvalidations(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      const keys = [...this.pendingInvalidations];
      this.pendingInvalidations.clear();
      this.overflowReported = false;
      // a failure re-queues the key through write()
      for (const key of keys) await this.write(key, null);
    } finally {
      this.retrying = false;
    }
  }

  private dataKey(key: string): string {
    return `${this.keyPrefix}d:${key}`;
  }

  private versionKey(key: string): string {
    return `${this.keyPrefix}v:${key}`;
  }
}
