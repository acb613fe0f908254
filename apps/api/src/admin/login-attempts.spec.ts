import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type LoginAttemptStore, MemoryLoginAttemptStore, RedisLoginAttemptStore } from './login-attempts';

const policy = { perAccount: 3, perIp: 5, windowMs: 60_000 };
let redis: Redis | null = null;
afterAll(async () => {
  await redis?.quit();
});

describe.each([
  ['in-process', () => new MemoryLoginAttemptStore()],
  [
    'Redis (real server)',
    () => new RedisLoginAttemptStore((redis ??= new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379')), `test:lf:${randomBytes(4).toString('hex')}:`),
  ],
])('login attempt store: %s', (_name, createStore: () => LoginAttemptStore) => {
  it('locks an account after its limit of failures, for the rest of the window', async () => {
    const store = createStore();
    for (let i = 0; i < 2; i += 1) await store.recordFailure('account:alice', 'ip:1', policy);
    expect(await store.lockedFor('account:alice', 'ip:1', policy)).toBe(0);
    await store.recordFailure('account:alice', 'ip:1', policy);
    const wait = await store.lockedFor('account:alice', 'ip:2', policy);
    expect(wait).toBeGreaterThan(55_000);
    expect(wait).toBeLessThanOrEqual(60_000);
  });

  it('locks an IP that tries many accounts, without locking those accounts elsewhere', async () => {
    const store = createStore();
    for (let i = 0; i < 5; i += 1) await store.recordFailure(`account:user${i}`, 'ip:9', policy);
    expect(await store.lockedFor('account:someone', 'ip:9', policy)).toBeGreaterThan(0);
    expect(await store.lockedFor('account:user0', 'ip:10', policy)).toBe(0);
  });

  it('clears an account after a successful sign-in', async () => {
    const store = createStore();
    for (let i = 0; i < 3; i += 1) await store.recordFailure('account:bob', 'ip:3', policy);
    await store.clear('account:bob');
    expect(await store.lockedFor('account:bob', 'ip:4', policy)).toBe(0);
  });
});
