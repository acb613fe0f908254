import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { rememberJsonText } from '@app/http';
import type { GuardedRedis } from '@app/redis';
import type { CacheConfig } from './cache.config';
import type { CacheLayer, CacheLogger, CacheMetrics, CacheResult } from './cache.observability';
import { RedisCacheLayer } from './redis-cache-layer';

/** Loads the value from the system of record; null or undefined means "does not exist". */
export type CacheLoader<T> = () => Promise<T | null | undefined>;

export interface PrewarmEntry {
  key: string;
  load: CacheLoader<unknown>;
  ttlMs?: number;
}

export interface TwoLevelCacheOptions {
  config: CacheConfig;
  /** Both null in the embedded profile: the in-process level is then the whole cache. */
  redis: Redis | null;
  /** A connection of its own: a subscribed connection cannot run other commands. */
  subscriber: Redis | null;
  /** The 'redis' circuit (RedisService): reads run through it and skip Redis while it is open. */
  guard?: GuardedRedis;
  metrics?: CacheMetrics;
  logger?: CacheLogger;
}

interface LocalEntry {
  value: unknown;
  bytes: number;
}

/** One load in progress per key; the callers that arrive meanwhile share its result. */
interface Flight {
  promise: Promise<unknown>;
  /** Cleared when the key is invalidated (or invalidations may have been missed) mid-load. */
  storeLocally: boolean;
}

const REDIS_WARN_INTERVAL_MS = 10_000;
// one instance: every miss reports it while Redis is down, and only its message is logged
const REDIS_NOT_AVAILABLE = new Error('Redis is not available (disconnected, or its circuit is open after a timeout)');

/**
 * Cache-aside in two levels: a bounded in-process LRU in front of Redis. Writes and
 * invalidations go to Redis and are broadcast on pub/sub so every instance drops its copy
 * at once; a local copy also never lives longer than CACHE_LOCAL_TTL_MS, the staleness
 * bound when a broadcast is missed. When Redis fails, misses go to the loader and the
 * local level keeps shielding the database.
 *
 * Values must be JSON. Callers always get the JSON round trip of what the loader returned
 * (a Date comes back as a string, hit or miss alike), deep-frozen because it is shared.
 */
export class TwoLevelCache {
  private readonly config: CacheConfig;
  private readonly local: LRUCache<string, LocalEntry>;
  private readonly shared: RedisCacheLayer | null;
  private readonly flights = new Map<string, Flight>();
  private readonly metrics: CacheMetrics | null;
  private readonly logger: CacheLogger;
  private lastRedisWarning = 0;

  constructor(options: TwoLevelCacheOptions) {
    this.config = options.config;
    this.metrics = options.metrics ?? null;
    this.logger = options.logger ?? { warn: () => undefined };
    this.local = new LRUCache<string, LocalEntry>({
      max: this.config.localMaxEntries,
      maxSize: this.config.localMaxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.bytes),
    });
    this.shared =
      options.redis && options.subscriber
        ? new RedisCacheLayer(
            options.redis,
            options.subscriber,
            this.config.keyPrefix,
            {
              onRemoteInvalidation: (key) => this.dropLocal(key),
              onListeningChange: (listening) => this.listeningChanged(listening),
            },
            this.logger,
            options.guard,
          )
        : null;
  }

  /** Subscribes to invalidations; call before serving reads. */
  async start(timeoutMs = 5_000): Promise<void> {
    await this.shared?.listen(timeoutMs);
  }

  /**
   * The cached value, else the loader's (stored in both levels). Concurrent misses on one
   * key in this process call the loader once. Null and empty results are cached for
   * CACHE_NULL_TTL_MS; Redis TTLs are jittered so keys filled together do not expire together.
   */
  async getOrLoad<T>(key: string, loader: CacheLoader<T>, ttlMs = this.config.defaultTtlMs): Promise<T | null> {
    const localOn = this.localUsable;
    if (localOn) {
      const entry = this.local.get(key);
      this.record('local', entry ? 'hit' : 'miss');
      if (entry) return entry.value as T | null;
    }
    let flight = this.flights.get(key);
    if (!flight) {
      const started: Flight = { promise: Promise.resolve(null), storeLocally: localOn };
      started.promise = this.load(key, loader, ttlMs, started).finally(() => {
        if (this.flights.get(key) === started) this.flights.delete(key);
      });
      this.flights.set(key, started);
      flight = started;
    }
    return flight.promise as Promise<T | null>;
  }

  /** Write-through: replaces the value in Redis and drops every instance's local copy. */
  async set<T>(key: string, value: T | null, ttlMs = this.config.defaultTtlMs): Promise<void> {
    const json = JSON.stringify(value ?? null);
    await this.write(key, { json, ttlMs: this.jittered(isEmpty(value) ? this.config.nullTtlMs : ttlMs) });
  }

  /** Call after the system of record changed (after commit). Never throws: see RedisCacheLayer.write. */
  async invalidate(key: string): Promise<void> {
    await this.write(key, null);
  }

  /**
   * Loads hot keys before traffic arrives; call it from a feature's onApplicationBootstrap.
   * A key another instance already cached costs one Redis read. Failures are reported,
   * never thrown: a cold key is slower, not broken.
   */
  async prewarm(entries: readonly PrewarmEntry[], concurrency = 8): Promise<{ warmed: number; failed: string[] }> {
    const queue = [...entries];
    const failed: string[] = [];
    let warmed = 0;
    const worker = async (): Promise<void> => {
      for (let entry = queue.shift(); entry; entry = queue.shift()) {
        try {
          await this.getOrLoad(entry.key, entry.load, entry.ttlMs);
          warmed += 1;
        } catch (error) {
          failed.push(entry.key);
          this.logger.warn({ key: entry.key, err: (error as Error).message }, 'cache prewarm failed for a key');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
    return { warmed, failed };
  }

  private get localUsable(): boolean {
    return !this.shared || this.config.localTtlMs > 0;
  }

  private async load<T>(key: string, loader: CacheLoader<T>, ttlMs: number, flight: Flight): Promise<T | null> {
    // null: Redis could not be asked, so it is not filled either
    let seenVersion: string | null = null;
    if (this.shared?.available) {
      try {
        const read = await this.shared.read(key);
        if (read.json !== null) {
          const value = frozenFromJson<T>(read.json);
          this.record('redis', 'hit');
          this.storeLocal(key, flight, value, read.json, isEmpty(value) ? this.config.nullTtlMs : ttlMs);
          return value;
        }
        this.record('redis', 'miss');
        seenVersion = read.version;
      } catch (error) {
        this.readFailed(error);
      }
    } else if (this.shared) {
      this.readFailed(REDIS_NOT_AVAILABLE);
    }

    const json = JSON.stringify((await loader()) ?? null);
    const value = frozenFromJson<T>(json);
    const redisTtlMs = this.jittered(isEmpty(value) ? this.config.nullTtlMs : ttlMs);
    if (this.shared && seenVersion !== null) {
      try {
        // refused: the key was written while we loaded, so our value may predate that write
        if (!(await this.shared.fill(key, seenVersion, json, redisTtlMs))) flight.storeLocally = false;
      } catch (error) {
        this.warnRedisDown(error);
      }
    }
    this.storeLocal(key, flight, value, json, redisTtlMs);
    return value;
  }

  private async write(key: string, value: { json: string; ttlMs: number } | null): Promise<void> {
    this.dropLocal(key);
    if (this.shared) {
      await this.shared.write(key, value);
      // a local load that read Redis just before the write may have stored the old value
      this.dropLocal(key);
    } else if (value) {
      // no Redis: the local level is the whole cache
      this.local.set(key, { value: frozenFromJson(value.json), bytes: Buffer.byteLength(value.json) }, { ttl: value.ttlMs });
    }
  }

  private storeLocal(key: string, flight: Flight, value: unknown, json: string, ttlMs: number): void {
    if (!flight.storeLocally || !this.localUsable) return;
    const ttl = this.shared ? Math.min(this.config.localTtlMs, ttlMs) : ttlMs;
    this.local.set(key, { value, bytes: Buffer.byteLength(json) }, { ttl });
  }

  private dropLocal(key: string): void {
    this.local.delete(key);
    const flight = this.flights.get(key);
    if (flight) {
      flight.storeLocally = false;
      // callers arriving from now on must not get the result of a load that predates the change
      this.flights.delete(key);
    }
  }

  /**
   * While unsubscribed, local copies stay (they expire within CACHE_LOCAL_TTL_MS, and keep
   * load off the database during a Redis outage); once subscribed again they are dropped,
   * because invalidations sent in between were missed.
   */
  private listeningChanged(listening: boolean): void {
    for (const flight of this.flights.values()) flight.storeLocally = false;
    if (listening) this.local.clear();
  }

  private jittered(ttlMs: number): number {
    return Math.max(1, Math.round(ttlMs * (1 - this.config.ttlJitter * Math.random())));
  }

  private readFailed(error: unknown): void {
    this.record('redis', 'error');
    this.warnRedisDown(error);
  }

  private warnRedisDown(error: unknown): void {
    const now = Date.now();
    if (now - this.lastRedisWarning < REDIS_WARN_INTERVAL_MS) return;
    this.lastRedisWarning = now;
    this.logger.warn({ err: (error as Error).message }, 'cache: Redis unavailable, reading through to the loader');
  }

  private record(layer: CacheLayer, result: CacheResult): void {
    this.metrics?.record(layer, result);
  }
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.length === 0);
}

/** The shared, immutable value for a JSON text; the envelope can send the text as is. */
function frozenFromJson<T>(json: string): T | null {
  const value = deepFreeze(JSON.parse(json) as T | null);
  rememberJsonText(value, json);
  return value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
