import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { jsonTextOf } from '@app/http';
import { FailFastRedis } from '@app/redis';
import { FakeRedisCircuit, TcpProxy } from '@app/testing';
import { CacheConfig, loadCacheConfig } from './cache.config';
import { CacheLayer, CacheMetrics, CacheResult } from './cache.observability';
import { TwoLevelCache } from './two-level-cache';

const REDIS_URL = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class CountingMetrics implements CacheMetrics {
  readonly counts = new Map<string, number>();
  record(layer: CacheLayer, result: CacheResult): void {
    const name = `${layer}:${result}`;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  get(name: `${CacheLayer}:${CacheResult}`): number {
    return this.counts.get(name) ?? 0;
  }
}

/** A loader that counts its calls and takes a while, like a database query. */
function countingLoader<T>(value: () => T, delayMs = 20) {
  const loader = Object.assign(
    async (): Promise<T> => {
      loader.calls += 1;
      await sleep(delayMs);
      return value();
    },
    { calls: 0 },
  );
  return loader;
}

const clients: Redis[] = [];
const prefixes: string[] = [];

// the options RedisService uses: fail fast instead of queueing while disconnected
function connect(port = Number(REDIS_URL.port || 6379)): Redis {
  const client = new Redis({
    host: REDIS_URL.hostname,
    port,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1_000,
    retryStrategy: () => 50,
    disconnectTimeout: 50, // a stream to the cut proxy never closes by itself
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

function newPrefix(): string {
  const prefix = `test:cache:${randomBytes(4).toString('hex')}:`;
  prefixes.push(prefix);
  return prefix;
}

async function startCache(
  prefix: string,
  overrides: Partial<CacheConfig> = {},
  port?: number,
): Promise<{ cache: TwoLevelCache; metrics: CountingMetrics }> {
  const metrics = new CountingMetrics();
  const config = { ...loadCacheConfig({}), keyPrefix: prefix, ...overrides };
  const cache = new TwoLevelCache({ config, redis: connect(port), subscriber: connect(port), metrics });
  await cache.start();
  return { cache, metrics };
}

let admin: Redis;
beforeAll(() => {
  admin = new Redis(REDIS_URL.toString());
});

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  await admin.quit();
});

describe('TwoLevelCache on a real Redis', () => {
  it('calls the loader once for 100 concurrent misses on one key (single-flight)', async () => {
    const { cache, metrics } = await startCache(newPrefix());
    const loader = countingLoader(() => ({ id: 1, name: 'item' }), 50);

    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad('item:1', loader)));

    expect(loader.calls).toBe(1);
    expect(results.every((result) => result === results[0])).toBe(true);
    expect(results[0]).toEqual({ id: 1, name: 'item' });
    expect(metrics.get('redis:miss')).toBe(1);
  });

  it('serves a repeat read from memory, and a second instance from Redis without loading', async () => {
    const prefix = newPrefix();
    const a = await startCache(prefix);
    const b = await startCache(prefix);
    const loaderA = countingLoader(() => ({ id: 2 }));
    const loaderB = countingLoader(() => ({ id: -1 }));

    await a.cache.getOrLoad('item:2', loaderA);
    await a.cache.getOrLoad('item:2', loaderA);
    expect(a.metrics.get('local:hit')).toBe(1);
    expect(await b.cache.getOrLoad('item:2', loaderB)).toEqual({ id: 2 });

    expect(loaderA.calls).toBe(1);
    expect(loaderB.calls).toBe(0);
    expect(b.metrics.get('redis:hit')).toBe(1);
  });

  it('drops the copy on another instance within milliseconds of an invalidation', async () => {
    const prefix = newPrefix();
    // a local TTL of a minute: only the broadcast can explain B seeing the change
    const a = await startCache(prefix, { localTtlMs: 60_000 });
    const b = await startCache(prefix, { localTtlMs: 60_000 });
    let version = 1;
    const loader = countingLoader(() => ({ version }));
    await a.cache.getOrLoad('item:3', loader);
    await b.cache.getOrLoad('item:3', loader);
    expect(b.metrics.get('redis:hit')).toBe(1);

    version = 2;
    await a.cache.invalidate('item:3');
    const invalidatedAt = Date.now();
    let seen = await b.cache.getOrLoad('item:3', loader);
    while (seen?.version !== 2 && Date.now() - invalidatedAt < 1_000) {
      await sleep(5);
      seen = await b.cache.getOrLoad('item:3', loader);
    }

    expect(seen).toEqual({ version: 2 });
    expect(Date.now() - invalidatedAt).toBeLessThan(250);
    expect(await a.cache.getOrLoad('item:3', loader)).toEqual({ version: 2 });
  });

  it('does not put a value back that was loaded before a concurrent write', async () => {
    const prefix = newPrefix();
    const a = await startCache(prefix);
    const b = await startCache(prefix);
    let row = 'old';
    const slowRead = countingLoader(() => ({ row: 'old' }), 150); // read the DB before the update

    const loading = a.cache.getOrLoad('item:4', slowRead);
    await sleep(30);
    row = 'new';
    await b.cache.invalidate('item:4');

    expect(await loading).toEqual({ row: 'old' }); // the caller asked before the write
    expect(await admin.get(`${prefix}d:item:4`)).toBeNull();
    const fresh = countingLoader(() => ({ row }));
    expect(await a.cache.getOrLoad('item:4', fresh)).toEqual({ row: 'new' });
    expect(fresh.calls).toBe(1);
  });

  it('write-through set: other instances read the new value from Redis', async () => {
    const prefix = newPrefix();
    const a = await startCache(prefix);
    const b = await startCache(prefix);
    const loader = countingLoader(() => ({ price: 100 }));
    await b.cache.getOrLoad('item:5', loader);

    await a.cache.set('item:5', { price: 120 });
    await sleep(50);

    expect(await b.cache.getOrLoad('item:5', loader)).toEqual({ price: 120 });
    expect(loader.calls).toBe(1);
  });

  it('is started only once its command connection is ready too, so the first read asks Redis', async () => {
    const metrics = new CountingMetrics();
    const config = { ...loadCacheConfig({}), keyPrefix: newPrefix() };
    const subscriber = connect();
    // the command connection comes up 150 ms after the subscriber: start() must wait for it
    const redis = new Redis({ host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379), enableOfflineQueue: false, lazyConnect: true });
    clients.push(redis);
    const cache = new TwoLevelCache({ config, redis, subscriber, metrics });
    let started = false;
    const starting = cache.start(2_000).then(() => (started = true));
    await sleep(150);
    expect(started).toBe(false);
    await redis.connect();
    await starting;

    const loader = countingLoader(() => ({ id: 7 }), 0);
    expect(await cache.getOrLoad('first-read', loader)).toEqual({ id: 7 });
    expect([metrics.get('redis:miss'), metrics.get('redis:error')]).toEqual([1, 0]);
  });

  it('refuses to start when the command connection does not come up in time', async () => {
    const config = { ...loadCacheConfig({}), keyPrefix: newPrefix() };
    const redis = new Redis({ host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379), enableOfflineQueue: false, lazyConnect: true });
    clients.push(redis);
    const cache = new TwoLevelCache({ config, redis, subscriber: connect(), metrics: new CountingMetrics() });
    await expect(cache.start(200)).rejects.toThrow(/connection not ready within 200 ms/);
  });

  it('caches null and empty results with the short null TTL (cache penetration)', async () => {
    const prefix = newPrefix();
    const { cache } = await startCache(prefix, { nullTtlMs: 300, ttlJitter: 0, defaultTtlMs: 60_000 });
    const missing = countingLoader(() => null);
    const empty = countingLoader(() => [] as string[]);

    for (let i = 0; i < 5; i += 1) {
      expect(await cache.getOrLoad('user:404', missing)).toBeNull();
      expect(await cache.getOrLoad('list:empty', empty)).toEqual([]);
    }
    expect(missing.calls).toBe(1);
    expect(empty.calls).toBe(1);
    expect(await admin.get(`${prefix}d:user:404`)).toBe('null');
    expect(await admin.pttl(`${prefix}d:user:404`)).toBeLessThanOrEqual(300);
    expect(await admin.pttl(`${prefix}d:list:empty`)).toBeLessThanOrEqual(300);

    await sleep(350);
    await cache.getOrLoad('user:404', missing);
    expect(missing.calls).toBe(2);
  });

  it('jitters Redis TTLs below the requested TTL so keys filled together expire apart', async () => {
    const prefix = newPrefix();
    const { cache } = await startCache(prefix, { ttlJitter: 0.2 });
    const keys = Array.from({ length: 50 }, (_, i) => `jitter:${i}`);
    await Promise.all(keys.map((key) => cache.getOrLoad(key, async () => ({ key }), 10_000)));

    const ttls = await Promise.all(keys.map((key) => admin.pttl(`${prefix}d:${key}`)));
    expect(Math.max(...ttls)).toBeLessThanOrEqual(10_000);
    expect(Math.min(...ttls)).toBeGreaterThan(7_900);
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeGreaterThan(500);
    expect(new Set(ttls.map((ttl) => Math.round(ttl / 100))).size).toBeGreaterThan(5);
  });

  it('falls back to the loader when Redis is down, keeps the local level, and resyncs when it is back', async () => {
    const proxy = new TcpProxy(REDIS_URL.hostname, Number(REDIS_URL.port || 6379));
    await proxy.start();
    const prefix = newPrefix();
    try {
      const { cache, metrics } = await startCache(prefix, { localTtlMs: 300 }, proxy.port);
      const other = await startCache(prefix);
      await cache.getOrLoad('cached', async () => ({ v: 1 }));

      await proxy.stop();
      await sleep(50);
      const loader = countingLoader(() => ({ v: 'from db' }), 0);
      expect(await cache.getOrLoad('fresh', loader)).toEqual({ v: 'from db' });
      expect(await cache.getOrLoad('fresh', loader)).toEqual({ v: 'from db' });
      expect(loader.calls).toBe(1); // the second read was a local hit
      expect(metrics.get('redis:error')).toBe(1);
      expect(await cache.getOrLoad('cached', async () => ({ v: 'unused' }))).toEqual({ v: 1 });
      await expect(cache.invalidate('cached')).resolves.toBeUndefined();

      // a write elsewhere during the outage: this instance misses the broadcast
      await other.cache.set('fresh', { v: 'updated elsewhere' });
      await sleep(350); // past the local TTL
      expect(await cache.getOrLoad('fresh', loader)).toEqual({ v: 'from db' });
      expect(loader.calls).toBe(2);

      await proxy.restart();
      await sleep(400); // reconnect, resubscribe, replay the deferred invalidation
      expect(await admin.get(`${prefix}d:cached`)).toBeNull();
      expect(await cache.getOrLoad('fresh', loader)).toEqual({ v: 'updated elsewhere' });
    } finally {
      await proxy.stop();
    }
  });

  it('skips Redis while its circuit is open (the loader answers at once) and replays invalidations when it closes', async () => {
    const prefix = newPrefix();
    const circuit = new FakeRedisCircuit();
    // the connection RedisService gives the cache: refuses commands itself while failing fast
    const redis = new FailFastRedis({ host: REDIS_URL.hostname, port: Number(REDIS_URL.port || 6379), enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    clients.push(redis);
    const metrics = new CountingMetrics();
    const cache = new TwoLevelCache({ config: { ...loadCacheConfig({}), keyPrefix: prefix, localTtlMs: 0 }, redis, subscriber: connect(), metrics, guard: circuit });
    await cache.start();
    const other = await startCache(prefix);
    await other.cache.set('shared', { v: 'in redis' });
    expect(await cache.getOrLoad('shared', async () => ({ v: 'db' }))).toEqual({ v: 'in redis' });
    const readsWhileClosed = circuit.runs;
    expect(readsWhileClosed).toBe(1);

    circuit.open();
    redis.failingFast = true;
    const loader = countingLoader(() => ({ v: 'db' }), 0);
    expect(await cache.getOrLoad('shared', loader)).toEqual({ v: 'db' });
    expect(loader.calls).toBe(1);
    expect(circuit.runs).toBe(readsWhileClosed); // Redis was not asked
    expect(metrics.get('redis:error')).toBe(1);
    // an invalidation Redis refuses is kept, not lost (a stalled Redis never reconnects: no 'ready')
    await cache.invalidate('shared');
    expect(await admin.get(`${prefix}d:shared`)).not.toBeNull();

    redis.failingFast = false;
    circuit.close();
    await sleep(50);
    expect(await admin.get(`${prefix}d:shared`)).toBeNull();
  });

  it('does not cache a loader error, and reports it to every waiting caller', async () => {
    const { cache } = await startCache(newPrefix());
    let fail = true;
    const loader = countingLoader(() => {
      if (fail) throw new Error('db down');
      return { ok: true };
    });

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrLoad('flaky', loader)));
    expect(results.map((result) => result.status)).toEqual(Array(5).fill('rejected'));
    fail = false;
    expect(await cache.getOrLoad('flaky', loader)).toEqual({ ok: true });
    expect(loader.calls).toBe(2);
  });

  it('returns the JSON form of a value, frozen, on a miss as on a hit', async () => {
    const { cache } = await startCache(newPrefix());
    const loaded = await cache.getOrLoad('dated', async () => ({ at: new Date(0), tags: ['a'] }));
    const hit = await cache.getOrLoad<{ at: string; tags: string[] }>('dated', async () => null);

    expect(loaded).toEqual({ at: '1970-01-01T00:00:00.000Z', tags: ['a'] });
    expect(hit).toBe(loaded);
    expect(Object.isFrozen(hit) && Object.isFrozen(hit?.tags)).toBe(true);
  });

  it('hands out values whose JSON text the envelope can send as is, from memory as from Redis', async () => {
    const prefix = newPrefix();
    const a = await startCache(prefix);
    const b = await startCache(prefix);
    const fromLoader = await a.cache.getOrLoad('texted', async () => ({ name: '奶茶', n: 1.5 }));
    const fromMemory = await a.cache.getOrLoad('texted', async () => null);
    const fromRedis = await b.cache.getOrLoad('texted', async () => null);

    for (const value of [fromLoader, fromMemory, fromRedis]) expect(jsonTextOf(value)).toBe('{"name":"奶茶","n":1.5}');
  });

  it('prewarms hot keys and reports the ones that failed', async () => {
    const { cache, metrics } = await startCache(newPrefix());
    const hot = countingLoader(() => ({ hot: true }));

    const result = await cache.prewarm([
      { key: 'hot:1', load: hot },
      { key: 'hot:2', load: hot },
      { key: 'hot:broken', load: () => Promise.reject(new Error('no')) },
    ]);

    expect(result).toEqual({ warmed: 2, failed: ['hot:broken'] });
    await cache.getOrLoad('hot:1', hot);
    await cache.getOrLoad('hot:2', hot);
    expect(hot.calls).toBe(2);
    expect(metrics.get('local:hit')).toBe(2);
  });
});

describe('TwoLevelCache without Redis (embedded profile)', () => {
  const localOnly = (overrides: Partial<CacheConfig> = {}) =>
    new TwoLevelCache({ config: { ...loadCacheConfig({}), ...overrides }, redis: null, subscriber: null });

  it('caches, collapses concurrent misses, invalidates and writes through in process', async () => {
    const cache = localOnly();
    await cache.start();
    let version = 1;
    const loader = countingLoader(() => ({ version }));

    await Promise.all(Array.from({ length: 100 }, () => cache.getOrLoad('k', loader)));
    expect(loader.calls).toBe(1);
    version = 2;
    await cache.invalidate('k');
    expect(await cache.getOrLoad('k', loader)).toEqual({ version: 2 });
    expect(loader.calls).toBe(2);
    await cache.set('k', { version: 3 });
    expect(await cache.getOrLoad('k', loader)).toEqual({ version: 3 });
    expect(loader.calls).toBe(2);
  });

  it('is bounded by entries and by bytes, evicting the least recently used', async () => {
    const byEntries = localOnly({ localMaxEntries: 2 });
    const load = (key: string) => byEntries.getOrLoad(key, countingLoader(() => key, 0));
    await load('a');
    await load('b');
    await load('a'); // b is now the least recently used
    await load('c');
    const reload = countingLoader(() => 'x', 0);
    await byEntries.getOrLoad('a', reload);
    await byEntries.getOrLoad('b', reload);
    expect(reload.calls).toBe(1);

    const byBytes = localOnly({ localMaxBytes: 2_500 });
    const kilobyte = () => 'x'.repeat(1_000);
    for (const key of ['1', '2', '3']) await byBytes.getOrLoad(key, countingLoader(kilobyte, 0));
    const again = countingLoader(kilobyte, 0);
    await byBytes.getOrLoad('1', again);
    expect(again.calls).toBe(1);
  });
});
