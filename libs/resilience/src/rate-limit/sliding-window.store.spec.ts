import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { REDIS_FAILING_FAST } from '@app/redis';
import { FakeRedisCircuit } from '@app/testing';
import { MemorySlidingWindowStore } from './memory-sliding-window.store';
import { RedisSlidingWindowStore } from './redis-sliding-window.store';
import { SlidingWindowStore } from './sliding-window';
import { SlidingWindowThrottlerStorage } from './sliding-window-throttler.storage';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each([
  ['in-process', () => new MemorySlidingWindowStore()],
  ['Redis (real server)', () => new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`)],
])('sliding window store: %s', (_name, createStore: () => SlidingWindowStore) => {
  let store: SlidingWindowStore;
  beforeEach(() => {
    store = createStore();
  });
  afterEach(() => {
    if (store instanceof MemorySlidingWindowStore) store.close();
  });

  it('allows exactly N requests in a window and refuses the N+1st', async () => {
    const decisions = [];
    for (let i = 0; i < 6; i += 1) decisions.push(await store.hit('caller', 10_000, 5, 0));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
    expect(decisions.map((d) => d.count)).toEqual([1, 2, 3, 4, 5, 5]);
    expect(decisions[5].resetMs).toBeGreaterThan(9_000);
    expect(decisions[5].resetMs).toBeLessThanOrEqual(10_000);
  });

  it('slides: a slot frees up when the oldest request leaves the window, not at a fixed edge', async () => {
    expect((await store.hit('slider', 400, 2, 0)).allowed).toBe(true);
    await sleep(250);
    expect((await store.hit('slider', 400, 2, 0)).allowed).toBe(true);
    expect((await store.hit('slider', 400, 2, 0)).allowed).toBe(false);
    await sleep(200); // first request (t=0) has left the window, second (t=250) has not
    expect((await store.hit('slider', 400, 2, 0)).allowed).toBe(true);
    expect((await store.hit('slider', 400, 2, 0)).allowed).toBe(false);
  });

  it('keeps callers apart', async () => {
    expect((await store.hit('a', 10_000, 1, 0)).allowed).toBe(true);
    expect((await store.hit('a', 10_000, 1, 0)).allowed).toBe(false);
    expect((await store.hit('b', 10_000, 1, 0)).allowed).toBe(true);
  });

  it('blocks for blockMs after the limit is hit', async () => {
    await store.hit('blocky', 100, 1, 0);
    const refused = await store.hit('blocky', 100, 1, 500);
    expect(refused).toMatchObject({ allowed: false, blockedForMs: 500 });
    await sleep(150); // the window alone would allow again now
    const stillBlocked = await store.hit('blocky', 100, 1, 500);
    expect(stillBlocked.allowed).toBe(false);
    expect(stillBlocked.blockedForMs).toBeGreaterThan(0);
  });

  it('counts concurrent requests exactly (no lost updates)', async () => {
    const decisions = await Promise.all(Array.from({ length: 50 }, () => store.hit('burst', 10_000, 20, 0)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
  });
});

describe('RedisSlidingWindowStore and the redis circuit (real server)', () => {
  it('runs each batch through the circuit once, not each check', async () => {
    const circuit = new FakeRedisCircuit();
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`, circuit);
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => store.hit(`k${i % 4}`, 10_000, 100, 0)));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(circuit.runs).toBe(1);
    expect(store.scriptCalls).toBe(1);
  });

  it('fails a check at once, without asking Redis, while the circuit is open', async () => {
    const circuit = new FakeRedisCircuit();
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`, circuit);
    circuit.open();
    const started = performance.now();
    await expect(store.hit('k', 10_000, 100, 0)).rejects.toBe(REDIS_FAILING_FAST);
    // at once: no timeout waited out (a bound, not a speed check: a busy host steals ms)
    expect(performance.now() - started).toBeLessThan(100);
    expect([circuit.runs, store.scriptCalls]).toEqual([0, 0]);
    circuit.close();
    expect((await store.hit('k', 10_000, 100, 0)).allowed).toBe(true);
  });
});

describe('RedisSlidingWindowStore batching (real server)', () => {
  it('sends the checks of one event-loop turn as one script call, each decided exactly', async () => {
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`);
    const decisions = await Promise.all([
      ...Array.from({ length: 30 }, () => store.hit('batched-a', 10_000, 10, 0)),
      ...Array.from({ length: 5 }, () => store.hit('batched-b', 10_000, 10, 0)),
    ]);
    expect(store.scriptCalls).toBe(1);
    // in arrival order: a's first 10 pass with counts 1..10, the other 20 are refused
    expect(decisions.slice(0, 30).map((d) => d.allowed)).toEqual([...Array(10).fill(true), ...Array(20).fill(false)]);
    expect(decisions.slice(0, 10).map((d) => d.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(decisions.slice(30).every((d) => d.allowed)).toBe(true);

    // a later turn is a new call that sees the state the batch left behind
    expect((await store.hit('batched-a', 10_000, 10, 0)).allowed).toBe(false);
    expect(store.scriptCalls).toBe(2);
  });

  it('decides checks of one key with different settings in one turn as separate groups, in one call', async () => {
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`);
    const decisions = await Promise.all([
      store.hit('mixed', 10_000, 1, 0),
      store.hit('mixed', 60_000, 3, 0),
      store.hit('mixed', 10_000, 1, 0),
      store.hit('mixed', 60_000, 3, 0),
    ]);
    expect(store.scriptCalls).toBe(1);
    // limit 1: the first passes, the second is refused; limit 3 (same log): both pass
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false, true]);
  });

  it('splits a very large turn on one key into groups and still counts exactly', async () => {
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`);
    const decisions = await Promise.all(Array.from({ length: 1_200 }, () => store.hit('huge', 10_000, 700, 0)));
    expect(store.scriptCalls).toBe(1);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(700);
    expect(decisions.slice(0, 700).every((d) => d.allowed)).toBe(true);
    expect(decisions.slice(0, 700).map((d) => d.count)).toEqual(Array.from({ length: 700 }, (_, i) => i + 1));
  });

  it('sets the block for a group that went over the limit, and later turns see it', async () => {
    const store = new RedisSlidingWindowStore(sharedRedis(), `test:rl:${randomBytes(4).toString('hex')}:`);
    const decisions = await Promise.all(Array.from({ length: 3 }, () => store.hit('grouped-block', 100, 1, 500)));
    expect(decisions.map((d) => [d.allowed, d.blockedForMs])).toEqual([
      [true, 0],
      [false, 500],
      [false, 500],
    ]);
    await sleep(150); // the window alone would allow again now
    const later = await store.hit('grouped-block', 100, 1, 500);
    expect(later.allowed).toBe(false);
    expect(later.blockedForMs).toBeGreaterThan(0);
  });

  it('keeps one log entry per batch, and a batch leaves the window as all its requests', async () => {
    const prefix = `test:rl:${randomBytes(4).toString('hex')}:`;
    const store = new RedisSlidingWindowStore(sharedRedis(), prefix);
    const first = await Promise.all(Array.from({ length: 3 }, () => store.hit('slide-batches', 400, 5, 0)));
    await sleep(250);
    const second = await Promise.all(Array.from({ length: 3 }, () => store.hit('slide-batches', 400, 5, 0)));
    expect(first.every((d) => d.allowed)).toBe(true);
    expect(second.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(await sharedRedis().zcard(`${prefix}slide-batches`)).toBe(2);
    expect(await sharedRedis().get(`${prefix}slide-batches:total`)).toBe('5');

    await sleep(200); // the first batch (3 requests) has left the window, the second (2) has not
    const third = await Promise.all(Array.from({ length: 4 }, () => store.hit('slide-batches', 400, 5, 0)));
    expect(third.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(third[0].count).toBe(3);
  });

  it('recounts from the log when the running total is gone, and counts an empty log as 0', async () => {
    const prefix = `test:rl:${randomBytes(4).toString('hex')}:`;
    const store = new RedisSlidingWindowStore(sharedRedis(), prefix);
    await Promise.all(Array.from({ length: 3 }, () => store.hit('evicted', 10_000, 4, 0)));

    await sharedRedis().del(`${prefix}evicted:total`);
    const afterTotalLost = await Promise.all(Array.from({ length: 2 }, () => store.hit('evicted', 10_000, 4, 0)));
    expect(afterTotalLost.map((d) => d.allowed)).toEqual([true, false]);
    expect(afterTotalLost[0].count).toBe(4);

    await sharedRedis().del(`${prefix}evicted`);
    const afterLogLost = await store.hit('evicted', 10_000, 4, 0);
    expect(afterLogLost).toMatchObject({ allowed: true, count: 1 });
  });

  it('fails every check of a batch when Redis is unreachable, so the guard can fail open', async () => {
    const offline = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const store = new RedisSlidingWindowStore(offline, 'test:rl:offline:');
    const results = await Promise.allSettled([store.hit('x', 1000, 1, 0), store.hit('y', 1000, 1, 0)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    offline.disconnect();
  });
});

describe('SlidingWindowThrottlerStorage', () => {
  it('reports @nestjs/throttler records in seconds', async () => {
    const store = new MemorySlidingWindowStore();
    const storage = new SlidingWindowThrottlerStorage(store);
    const first = await storage.increment('k', 60_000, 1, 0, 'default');
    expect(first).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 60 });
    const second = await storage.increment('k', 60_000, 1, 0, 'default');
    expect(second).toMatchObject({ totalHits: 2, isBlocked: true, timeToBlockExpire: 60 });
    store.close();
  });
});

let redis: Redis | null = null;
function sharedRedis(): Redis {
  redis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return redis;
}
afterAll(async () => {
  await redis?.quit();
});
