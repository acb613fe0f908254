import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { testServices } from './support/environment';
import { signedHeaders } from './support/signing';
import { useTestDatabase } from './support/test-database';
import { type SignedIn, useWechatEmulator } from './support/wechat-emulator';

/** The signed-in user's profile and phone binding: the built app against MariaDB, Redis and the WeChat emulator. */
describe('users (MariaDB + Redis + WeChat emulator)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let app: RunningApp;
  const authKeyPrefix = `e2e:users:${randomBytes(4).toString('hex')}:`;

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  /** Phone binding is @Signed() (AUTH_SIGNING=sensitive, the default): signed as a mini-program signs it. */
  const bindPhone = <T = unknown>(code: string, session: SignedIn, headers: Record<string, string> | null = null) => {
    const body = JSON.stringify({ code });
    return request<EnvelopeBody<T>>(api('/users/me/phone'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${session.accessToken}`,
        ...(headers ?? signedHeaders(session.signKey, 'POST', '/api/v1/users/me/phone', body)),
      },
      body,
    });
  };
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
    const bound = await bindPhone<Record<string, unknown>>('phone-1', session);
    expect(bound.status).toBe(200);
    expect(bound.body.data).toMatchObject({ phone: '13800001234' });
    const reused = await bindPhone('phone-1', session);
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe(2109);
  });

  it('needs a signed request to bind a phone (@Signed): unsigned 2020, a body other than the signed one 2022', async () => {
    const session = await login();
    await control('phones', { code: 'phone-unsigned', phoneNumber: '13800005678' });
    const unsigned = await bindPhone('phone-unsigned', session, {});
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 2020]);
    const signedForAnother = signedHeaders(session.signKey, 'POST', '/api/v1/users/me/phone', JSON.stringify({ code: 'phone-other' }));
    const altered = await bindPhone('phone-unsigned', session, signedForAnother);
    expect([altered.status, altered.body.code]).toEqual([401, 2022]);
    // the code was never spent on WeChat
    expect((await bindPhone('phone-unsigned', session)).status).toBe(200);
  });

  it('allows 10 phone bindings a minute per user: each one spends WeChat quota', async () => {
    const session = await login();
    const statuses = [];
    for (let i = 0; i < 11; i += 1) statuses.push((await bindPhone(`no-such-code-${i}`, session)).status);
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
    // per user: another user is not held back
    expect((await bindPhone('no-such-code-x', await login())).status).toBe(400);
  });
});
