import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { testServices } from './support/environment';
import { useTestDatabase } from './support/test-database';
import { useWechatEmulator } from './support/wechat-emulator';

/** The signed-in user's profile and phone binding: the built app against MariaDB, Redis and the WeChat emulator. */
describe('users (MariaDB + Redis + WeChat emulator)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let app: RunningApp;
  const authKeyPrefix = `e2e:users:${randomBytes(4).toString('hex')}:`;

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const post = <T = unknown>(path: string, body: unknown, token?: string) =>
    request<EnvelopeBody<T>>(api(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const get = <T = unknown>(path: string, token?: string) =>
    request<EnvelopeBody<T>>(api(path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const login = () => wechat.signIn(app);
  const control = wechat.control;

  beforeAll(async () => {
    app = await db.startApp({
      ...wechat.env,
      AUTH_KEY_PREFIX: authKeyPrefix,
      // user ids restart at 1 in every fresh database: keep this run's counters apart
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:users:${randomBytes(4).toString('hex')}:`,
    });
  });

  afterAll(async () => {
    const redis = new Redis(testServices.redisUrl);
    const keys = await redis.keys(`${authKeyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('reads and updates the profile; emoji and Chinese round-trip; nothing else is writable', async () => {
    const session = await login();
    const patch = (body: unknown) =>
      request<EnvelopeBody<Record<string, unknown>>>(api('/users/me'), {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}` },
        body: JSON.stringify(body),
      });
    const nickname = '小程序用户😀🎉'.padEnd(16, '好');
    const updated = await patch({ nickname, avatarUrl: 'https://thirdwx.qlogo.cn/a.png' });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ id: session.user.id, nickname, avatarUrl: 'https://thirdwx.qlogo.cn/a.png' });
    expect((await get<Record<string, unknown>>('/users/me', session.accessToken)).body.data).toMatchObject({ nickname });
    // stored as written (utf8mb4), not only echoed from the cache
    expect(await db.query('SELECT nickname FROM users WHERE id = ?', [session.user.id])).toEqual([{ nickname }]);

    for (const body of [{ role: 'admin' }, { openid: 'x' }, { id: 1 }, { nickname: 'ok', disabled: true }]) {
      const refused = await patch(body);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1001);
    }
    expect((await patch({ avatarUrl: 'http://insecure.example/a.png' })).status).toBe(400);
    expect((await patch({ nickname: '' })).status).toBe(400);
    // null is not "leave as is": refused with 400 before it can reach a NOT NULL column
    expect((await patch({ nickname: null })).status).toBe(400);
    expect((await patch({ avatarUrl: null })).status).toBe(400);
    expect((await patch({ nickname: '😀'.repeat(33) })).status).toBe(400);
    expect((await patch({ nickname: '😀'.repeat(32) })).status).toBe(200);
  });

  it('binds the phone number from a getPhoneNumber code', async () => {
    const session = await login();
    await control('phones', { code: 'phone-1', phoneNumber: '13800001234' });
    const bound = await post<Record<string, unknown>>('/users/me/phone', { code: 'phone-1' }, session.accessToken);
    expect(bound.status).toBe(200);
    expect(bound.body.data).toMatchObject({ phone: '13800001234' });
    const reused = await post('/users/me/phone', { code: 'phone-1' }, session.accessToken);
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe(2109);
  });
});
