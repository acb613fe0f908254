import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { request, RunningApp } from './support/app-harness';
import { testServices } from './support/environment';
import { TcpProxy } from '@app/testing';
import { useTestDatabase } from './support/test-database';

interface Item {
  id: number;
  version: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getItem(app: RunningApp, id: number, query = ''): Promise<{ status: number; version?: number }> {
  const response = await request<{ data: Item | null }>(`${app.baseUrl}/api/v1/diagnostics/cache/items/${id}${query}`);
  return { status: response.status, version: response.body.data?.version };
}

async function loads(app: RunningApp, id: number): Promise<number> {
  const response = await request<{ data: { loads: number } }>(`${app.baseUrl}/api/v1/diagnostics/cache/items/${id}/loads`);
  return response.body.data.loads;
}

async function putVersion(app: RunningApp, id: number, version: number): Promise<number> {
  const response = await request(`${app.baseUrl}/api/v1/diagnostics/cache/items/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ version }),
  });
  return response.status;
}

async function cacheMetric(app: RunningApp, layer: string, result: string): Promise<number> {
  const metrics = await request<string>(`${app.baseUrl}/metrics`);
  const match = new RegExp(`^cache_requests_total\\{layer="${layer}",result="${result}"\\} (\\d+)`, 'm').exec(metrics.text);
  return match ? Number(match[1]) : NaN;
}

/** Polls until the item shows `version`; returns how long that took. */
async function waitForVersion(app: RunningApp, id: number, version: number, limitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const seen = await getItem(app, id);
    expect(seen.status).toBe(200);
    if (seen.version === version) return Date.now() - started;
    if (Date.now() - started > limitMs) throw new Error(`item ${id} still at version ${seen.version} after ${limitMs} ms`);
    await sleep(10);
  }
}

describe('two-level cache (real Redis, real processes)', () => {
  const db = useTestDatabase();
  const proxies: TcpProxy[] = [];
  const prefixes: string[] = [];
  const newPrefix = (name: string) => {
    const prefix = `e2e:cache:${name}:${randomBytes(4).toString('hex')}:`;
    prefixes.push(prefix);
    return prefix;
  };
  const launch = (overrides: Record<string, string> = {}) =>
    db.startApp({
      // the limiter is not under test; 100 concurrent requests must all get through
      RATE_LIMIT_DEFAULT_LIMIT: '100000',
      CACHE_KEY_PREFIX: newPrefix('app'),
      ...overrides,
    });
  const redisProxy = async () => {
    const redisUrl = new URL(testServices.redisUrl);
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await proxy.start();
    proxies.push(proxy);
    return proxy;
  };

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    const redis = new Redis(testServices.redisUrl);
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    await redis.quit();
  });

  it('runs the loader once for 100 concurrent requests that all miss (single-flight)', async () => {
    const app = await launch();
    // the load takes 300 ms, so every request arrives while it is in progress
    const responses = await Promise.all(Array.from({ length: 100 }, () => getItem(app, 11, '/slow?loadMs=300')));

    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(responses.every((response) => response.version === 1)).toBe(true);
    expect(await loads(app, 11)).toBe(1);
    expect(await cacheMetric(app, 'local', 'miss')).toBeGreaterThanOrEqual(100);
  });

  it('caches "not found" too, so repeated lookups of a missing id reach the database once', async () => {
    const app = await launch();
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await getItem(app, 1_000_001)).status);

    expect(statuses).toEqual([404, 404, 404, 404, 404]);
    expect(await loads(app, 1_000_001)).toBe(1);
  });

  it('an update on instance A is served by instance B within milliseconds (pub/sub invalidation)', async () => {
    // a local TTL of a minute: only the broadcast can make B drop its copy in time
    const shared = { CACHE_KEY_PREFIX: newPrefix('shared'), CACHE_LOCAL_TTL_MS: '60000' };
    // one after the other: two first boots on a fresh database would race to migrate it
    const a = await launch(shared);
    const b = await launch(shared);
    expect((await getItem(b, 21)).version).toBe(1);
    expect((await getItem(a, 21)).version).toBe(1); // from Redis: A never loads it
    expect((await getItem(b, 21)).version).toBe(1);
    expect([await loads(a, 21), await loads(b, 21)]).toEqual([0, 1]);

    expect(await putVersion(a, 21, 2)).toBe(200);
    const elapsedMs = await waitForVersion(b, 21, 2, 1_000);

    expect(elapsedMs).toBeLessThan(250);
    expect((await getItem(a, 21)).version).toBe(2);
  });

  it('with Redis cut off: no errors, reads go to the loader, and a missed invalidation is stale at most CACHE_LOCAL_TTL_MS', async () => {
    const proxy = await redisProxy();
    const prefix = { CACHE_KEY_PREFIX: newPrefix('outage') };
    const writer = await launch(prefix);
    const reader = await launch({ ...prefix, CACHE_LOCAL_TTL_MS: '1000', REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    expect((await getItem(reader, 31)).version).toBe(1);

    await proxy.stop();
    expect(await putVersion(writer, 31, 2)).toBe(200); // the reader cannot hear this broadcast
    const putAt = Date.now();
    expect((await getItem(reader, 31)).version).toBe(1); // its local copy, still within the bound
    await waitForVersion(reader, 31, 2, 2_000);
    expect(Date.now() - putAt).toBeLessThan(1_000 + 300);

    const statuses = [];
    for (let id = 32; id < 42; id += 1) statuses.push((await getItem(reader, id)).status);
    expect(statuses).toEqual(Array(10).fill(200));
    expect(await loads(reader, 32)).toBe(1);
    expect(await cacheMetric(reader, 'redis', 'error')).toBeGreaterThanOrEqual(11);

    await proxy.restart();
    let ready = 0;
    for (let attempt = 0; attempt < 50 && ready !== 200; attempt += 1) {
      await sleep(100);
      ready = (await request(`${reader.baseUrl}/health/ready`)).status;
    }
    expect(ready).toBe(200);
    expect((await getItem(reader, 31)).version).toBe(2);
  });
});
