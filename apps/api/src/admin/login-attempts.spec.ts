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
  it('lets the limit of attempts through, then refuses the rest of the window', async () => {
    const store = createStore();
    for (let i = 0; i < 3; i += 1) expect(await store.begin('account:alice', `ip:${i}`, policy)).toBe(0);
    const wait = await store.begin('account:alice', 'ip:9', policy);
    expect(wait).toBeGreaterThan(55_000);
    expect(wait).toBeLessThanOrEqual(60_000);
  });

  it('counts parallel attempts before any of them is decided: exactly the limit gets through', async () => {
    const store = createStore();
    const waits = await Promise.all(Array.from({ length: 10 }, () => store.begin('account:burst', 'ip:burst', policy)));
    expect(waits.filter((wait) => wait === 0)).toHaveLength(3);
    expect(waits.filter((wait) => wait > 0)).toHaveLength(7);
  });

  it('locks an IP that tries many accounts, without locking those accounts elsewhere', async () => {
    const store = createStore();
    for (let i = 0; i < 5; i += 1) expect(await store.begin(`account:user${i}`, 'ip:9', policy)).toBe(0);
    expect(await store.begin('account:someone', 'ip:9', policy)).toBeGreaterThan(0);
    expect(await store.begin('account:user0', 'ip:10', policy)).toBe(0);
  });

  it('forgets the account after a success and gives the IP its attempt back', async () => {
    const store = createStore();
    for (let i = 0; i < 3; i += 1) await store.begin('account:bob', 'ip:3', policy);
    await store.succeeded('account:bob', 'ip:3');
    for (let i = 0; i < 3; i += 1) expect(await store.begin('account:bob', 'ip:4', policy)).toBe(0);
    // ip:3 holds 3 attempts, one given back: three more fit under its limit of 5
    for (let i = 0; i < 3; i += 1) expect(await store.begin(`account:other${i}`, 'ip:3', policy)).toBe(0);
    expect(await store.begin('account:other9', 'ip:3', policy)).toBeGreaterThan(0);
  });
});

describe('MemoryLoginAttemptStore', () => {
  it('drops counters whose window ended, including IPs never seen again', async () => {
    let now = 1_000_000;
    const store = new MemoryLoginAttemptStore(() => now);
    for (let i = 0; i < 500; i += 1) await store.begin(`account:a${i}`, `ip:198.51.100.${i % 250}`, policy);
    expect(store.size).toBe(750);
    now += policy.windowMs + 60_000;
    await store.begin('account:late', 'ip:late', policy);
    expect(store.size).toBe(2);
  });
});
