import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { FailFastRedis, REDIS_FAILING_FAST } from '@app/redis';
import { FakeRedisCircuit } from '@app/testing';
import { type LiveSession, MemorySessionStore, RedisSessionStore, type SessionStore } from './session.store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let redis: Redis | null = null;
const sharedRedis = () => (redis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
afterAll(async () => {
  await redis?.quit();
});

const live = (overrides: Partial<LiveSession> = {}): LiveSession => ({
  sessionId: `s-${randomBytes(4).toString('hex')}`,
  kind: 'user',
  subjectId: 7,
  role: 'user',
  signKey: 'sign-key',
  wechatSessionKey: 'wx-key',
  endsAt: null,
  ...overrides,
});

describe.each([
  ['in-process', () => new MemorySessionStore()],
  ['Redis (real server)', () => new RedisSessionStore(sharedRedis(), `test:auth:${randomBytes(4).toString('hex')}:`)],
])('session store: %s', (_name, createStore: () => SessionStore) => {
  let store: SessionStore;
  beforeEach(() => {
    store = createStore();
  });

  it('publishes a live session with its server-side secrets', async () => {
    const session = live({ wechatSessionKey: 'tiihtNczf5v6AKRyjwEUhQ==' });
    expect(await store.put(session, 60_000)).toBe(true);
    expect(await store.isAlive(session.sessionId)).toBe(true);
    expect(await store.get(session.sessionId)).toEqual(session);
    expect(await store.get('never-existed')).toBeNull();
  });

  it('keeps no WeChat session_key field when the session has none', async () => {
    const session = live({ kind: 'admin', wechatSessionKey: null });
    await store.put(session, 60_000);
    expect(await store.get(session.sessionId)).toEqual(session);
  });

  it('ends sessions at once, and a later put cannot bring them back (tombstone)', async () => {
    const [first, second] = [live(), live()];
    await store.put(first, 60_000);
    await store.put(second, 60_000);
    await store.end([first.sessionId, second.sessionId], 60_000);
    expect(await store.isAlive(first.sessionId)).toBe(false);
    expect(await store.get(second.sessionId)).toBeNull();
    // a refresh that rotated the row just before the logout publishes late: refused
    expect(await store.put(first, 60_000)).toBe(false);
    expect(await store.isAlive(first.sessionId)).toBe(false);
  });

  it('renews a live session (longer TTL) and returns it; nothing for a lost or ended one', async () => {
    const session = live();
    await store.put(session, 40);
    expect(await store.renew(session.sessionId, 60_000)).toEqual(session);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.isAlive(session.sessionId)).toBe(true);
    expect(await store.renew('never-existed', 60_000)).toBeNull();
    await store.end([session.sessionId], 60_000);
    expect(await store.renew(session.sessionId, 60_000)).toBeNull();
    expect(await store.isAlive(session.sessionId)).toBe(false);
  });

  it('never renews a live session past its absolute end', async () => {
    const session = live({ endsAt: Date.now() + 60 });
    await store.put(session, 60_000);
    expect(await store.renew(session.sessionId, 60_000)).toEqual(session);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.isAlive(session.sessionId)).toBe(false);
  });

  it('lets the live record expire with its TTL', async () => {
    const session = live();
    await store.put(session, 40);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await store.isAlive(session.sessionId)).toBe(false);
  });

  it('answers many concurrent liveness checks (batched per turn on Redis) each for its own session', async () => {
    const sessions = [live(), live(), live()];
    for (const session of sessions) await store.put(session, 60_000);
    await store.end([sessions[1].sessionId], 60_000);
    const answers = await Promise.all([...sessions.map((s) => store.isAlive(s.sessionId)), store.isAlive('never-existed')]);
    expect(answers).toEqual([true, false, true, false]);
  });

  it('claims a nonce once per session', async () => {
    expect(await store.claimNonce('s-1', 'nonce-a', 60_000)).toBe(true);
    expect(await store.claimNonce('s-1', 'nonce-a', 60_000)).toBe(false);
    expect(await store.claimNonce('s-2', 'nonce-a', 60_000)).toBe(true);
  });
});

describe('RedisSessionStore liveness batching (real server)', () => {
  it('answers a turn larger than one script call, each check for its own session', async () => {
    const store = new RedisSessionStore(sharedRedis(), `test:auth:${randomBytes(4).toString('hex')}:`);
    const sessions = Array.from({ length: 40 }, () => live());
    for (const session of sessions) await store.put(session, 60_000);
    // 1,200 checks in one turn (three script calls): every 30th asks for a session that never existed
    const ids = Array.from({ length: 1_200 }, (_, i) => (i % 30 === 0 ? `missing-${i}` : sessions[i % 40].sessionId));
    const answers = await Promise.all(ids.map((id) => store.isAlive(id)));
    expect(answers).toEqual(ids.map((id) => !id.startsWith('missing-')));
  });

  it('rejects every check of the turn when Redis is unreachable (the caller decides what that means)', async () => {
    const unreachable = new Redis('redis://127.0.0.1:9', { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    const store = new RedisSessionStore(unreachable, 'test:auth:down:');
    const results = await Promise.allSettled([store.isAlive('a'), store.isAlive('b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    unreachable.disconnect();
  });
});

describe('RedisSessionStore and the redis circuit (real server)', () => {
  const prefix = () => `test:auth:${randomBytes(4).toString('hex')}:`;

  it('runs a turn of liveness checks through the circuit once, and fails them at once while it is open', async () => {
    const circuit = new FakeRedisCircuit();
    const store = new RedisSessionStore(sharedRedis(), prefix(), circuit);
    const session = live();
    await store.put(session, 60_000);
    const before = circuit.runs;
    expect(await Promise.all(Array.from({ length: 20 }, () => store.isAlive(session.sessionId)))).toEqual(Array(20).fill(true));
    expect(circuit.runs - before).toBe(1);

    circuit.open();
    await expect(store.isAlive(session.sessionId)).rejects.toBe(REDIS_FAILING_FAST);
    expect(circuit.runs - before).toBe(1);
  });

  it('never fails an ending: one Redis refuses is replayed, tombstone and all, when the circuit closes', async () => {
    const circuit = new FakeRedisCircuit();
    const client = new FailFastRedis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await new Promise((resolve) => client.once('ready', resolve));
    try {
      const store = new RedisSessionStore(client, prefix(), circuit);
      const session = live();
      await store.put(session, 60_000);
      circuit.open();
      client.failingFast = true;
      await expect(store.end([session.sessionId], 60_000)).resolves.toBeUndefined();
      client.failingFast = false;
      // still alive in Redis: the ending did not reach it (the row decides meanwhile)
      expect(await store.get(session.sessionId)).not.toBeNull();

      circuit.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await store.isAlive(session.sessionId)).toBe(false);
      // the tombstone came too: a late put (a stalled Redis running it after all) is refused
      expect(await store.put(session, 60_000)).toBe(false);
    } finally {
      client.disconnect();
    }
  });
});
