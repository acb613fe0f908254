import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemorySessionStore, RedisSessionStore, type SessionRecord, type SessionStore } from './session.store';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let redis: Redis | null = null;
const sharedRedis = () => (redis ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
afterAll(async () => {
  await redis?.quit();
});

const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  sessionId: `s-${randomBytes(4).toString('hex')}`,
  kind: 'user',
  subjectId: 7,
  role: 'user',
  refreshHash: 'h0',
  signKey: 'k',
  wechatSessionKey: 'wx-key',
  createdAt: Date.now(),
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

  it('rotates the current refresh hash and remembers which session a token belongs to', async () => {
    const session = record();
    await store.create(session, 60_000);
    expect(await store.sessionOfRefresh('h0')).toBe(session.sessionId);
    expect(await store.rotate(session.sessionId, 'h0', 'h1', 60_000)).toBe('rotated');
    expect(await store.sessionOfRefresh('h1')).toBe(session.sessionId);
    expect((await store.get(session.sessionId))?.refreshHash).toBe('h1');
    expect(await store.isAlive(session.sessionId)).toBe(true);
  });

  it('treats a retired refresh hash as theft: the session ends', async () => {
    const session = record();
    await store.create(session, 60_000);
    await store.rotate(session.sessionId, 'h0', 'h1', 60_000);
    expect(await store.rotate(session.sessionId, 'h0', 'h2', 60_000)).toBe('reused');
    expect(await store.isAlive(session.sessionId)).toBe(false);
    expect(await store.rotate(session.sessionId, 'h1', 'h3', 60_000)).toBe('unknown');
  });

  it('lets exactly one of two concurrent rotations of the same hash win', async () => {
    const session = record();
    await store.create(session, 60_000);
    const outcomes = await Promise.all([
      store.rotate(session.sessionId, 'h0', 'a', 60_000),
      store.rotate(session.sessionId, 'h0', 'b', 60_000),
    ]);
    expect(outcomes.sort()).toEqual(['reused', 'rotated']);
  });

  it('ends every session of one account, and only those', async () => {
    const mine = [record({ subjectId: 41 }), record({ subjectId: 41 })];
    const other = record({ subjectId: 42 });
    for (const session of [...mine, other]) await store.create(session, 60_000);
    expect(await store.revokeAllOf('user', 41)).toBe(2);
    expect(await store.isAlive(mine[0].sessionId)).toBe(false);
    expect(await store.isAlive(mine[1].sessionId)).toBe(false);
    expect(await store.isAlive(other.sessionId)).toBe(true);
  });

  it('answers many concurrent liveness checks (batched per turn on Redis) each for its own session', async () => {
    const live = [record(), record(), record()];
    for (const session of live) await store.create(session, 60_000);
    await store.revoke(live[1].sessionId);
    const answers = await Promise.all([...live.map((s) => store.isAlive(s.sessionId)), store.isAlive('never-existed')]);
    expect(answers).toEqual([true, false, true, false]);
  });

  it('keeps the WeChat session_key with the session, server-side', async () => {
    const session = record({ wechatSessionKey: 'tiihtNczf5v6AKRyjwEUhQ==' });
    await store.create(session, 60_000);
    expect((await store.get(session.sessionId))?.wechatSessionKey).toBe('tiihtNczf5v6AKRyjwEUhQ==');
    await store.revoke(session.sessionId);
    expect(await store.get(session.sessionId)).toBeNull();
  });
});
