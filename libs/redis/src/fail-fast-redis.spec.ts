import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { FailFastRedis, REDIS_FAILING_FAST, RedisFailingFastError } from './fail-fast-redis';
import { loadRedisConfig } from './redis.config';
import { RedisService } from './redis.service';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

const untilReady = (client: Redis) =>
  new Promise<void>((resolve) => (client.status === 'ready' ? resolve() : client.once('ready', () => resolve())));

describe('FailFastRedis: the gate every command on the shared connection passes', () => {
  let client: FailFastRedis;
  let reader: Redis;
  const key = `test:fail-fast:${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    client = new FailFastRedis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    reader = new Redis(REDIS_URL);
    await untilReady(client);
  });

  afterAll(async () => {
    await reader.del(key);
    await reader.quit();
    client.disconnect();
  });

  afterEach(() => {
    client.failingFast = false;
  });

  it('sends commands as usual while the circuit is closed', async () => {
    expect(await client.set(key, 'a')).toBe('OK');
    expect(await client.get(key)).toBe('a');
  });

  it('refuses every command at once while failing fast, without sending it', async () => {
    await client.set(key, 'before');
    client.failingFast = true;
    const started = performance.now();
    const outcome = await settle(client.set(key, 'during'));
    // at once: no timeout waited out (a bound, not a speed check: a busy host steals ms)
    expect(performance.now() - started).toBeLessThan(100);
    expect(outcome.error).toBe(REDIS_FAILING_FAST);
    expect(outcome.error).toBeInstanceOf(RedisFailingFastError);
    // scripts and transactions go through the same gate
    expect((await settle(client.eval('return 1', 0))).error).toBe(REDIS_FAILING_FAST);
    expect(await reader.get(key)).toBe('before');
  });

  it('lets the trial PING through while failing fast', async () => {
    client.failingFast = true;
    expect(await client.trialPing()).toBe('PONG');
    // and only that one call
    expect((await settle(client.ping())).error).toBe(REDIS_FAILING_FAST);
  });

  it('does not block the reconnection handshake: a dropped connection becomes ready again while failing fast', async () => {
    client.failingFast = true;
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.disconnect(true);
    await closed;
    expect(client.status).not.toBe('ready');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      untilReady(client),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('never became ready again')), 3_000))),
    ]).finally(() => clearTimeout(timer));
    expect(client.status).toBe('ready');
  });
});

describe('RedisService: the circuit port', () => {
  let service: RedisService;

  beforeAll(async () => {
    service = new RedisService({ ...loadRedisConfig({ NODE_ENV: 'test', REDIS_URL }), url: REDIS_URL });
    await service.waitUntilReady();
  });

  afterAll(async () => {
    await service.onApplicationShutdown();
  });

  it('runs commands as they are until a circuit is installed, then through it', async () => {
    expect(await service.run(() => Promise.resolve('direct'))).toBe('direct');
    const seen: string[] = [];
    service.useCircuit({ run: (commands) => (seen.push('circuit'), commands()) });
    expect(await service.run(() => Promise.resolve('through'))).toBe('through');
    expect(seen).toEqual(['circuit']);
  });

  it('tells recovery listeners once each time failing fast ends', () => {
    let recovered = 0;
    service.onRecovered(() => (recovered += 1));
    service.setFailingFast(true);
    expect(service.failingFast).toBe(true);
    service.setFailingFast(true);
    service.setFailingFast(false);
    service.setFailingFast(false);
    expect(service.failingFast).toBe(false);
    expect(recovered).toBe(1);
  });

  it('is never failing fast in the embedded profile (no Redis)', () => {
    const embedded = new RedisService(loadRedisConfig({}));
    embedded.setFailingFast(true);
    expect(embedded.failingFast).toBe(false);
  });
});
