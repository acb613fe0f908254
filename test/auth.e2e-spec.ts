import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Redis } from 'ioredis';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { WECHAT_OPEN_DATA_SAMPLE } from '../libs/wechat/src/wechat-sample.fixture';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { TcpProxy } from '@app/testing';
import { TEST_JWT_SECRET, testServices } from './support/environment';
import { signedHeaders } from './support/signing';
import { useTestDatabase } from './support/test-database';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: string;
  signKey: string;
  user: { id: number; nickname: string; avatarUrl: string; isNew: boolean };
}

/**
 * WeChat login, rotating sessions and the global guard: the built app against MariaDB, Redis
 * and the WeChat emulator over HTTP.
 */
describe('auth (MariaDB + Redis + WeChat emulator)', () => {
  // the AppID of WeChat's published open-data sample, so the sample decrypts here
  const sample = WECHAT_OPEN_DATA_SAMPLE;
  const appId = sample.appId;
  const emulator = createWechatEmulator({ appId, appSecret: 'auth-e2e-secret' });
  let emulatorUrl: string;
  const db = useTestDatabase();
  let app: RunningApp;
  const authKeyPrefix = `e2e:auth:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis(testServices.redisUrl, { lazyConnect: true });

  const sessionRow = async (accessToken: string) => {
    const { sid } = jwt.decode(accessToken) as { sid: string };
    const [row] = await db.query<Record<string, unknown>>('SELECT * FROM auth_sessions WHERE id = ?', [sid]);
    return row;
  };

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const post = <T = unknown>(path: string, body: unknown, token?: string) =>
    request<EnvelopeBody<T>>(api(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  /** A signed request of this session (phone binding and decrypt need one: AUTH_SIGNING=sensitive, the default). */
  const postSigned = <T = unknown>(path: string, body: unknown, session: Pick<Tokens, 'accessToken' | 'signKey'>) => {
    const text = JSON.stringify(body);
    return request<EnvelopeBody<T>>(api(path), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${session.accessToken}`,
        ...signedHeaders(session.signKey, 'POST', `/api/v1${path}`, text),
      },
      body: text,
    });
  };
  const get = <T = unknown>(path: string, token?: string) =>
    request<EnvelopeBody<T>>(api(path), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const control = async (path: string, body: unknown) => {
    const response = await fetch(`${emulatorUrl}/__control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  };
  const login = async (openid = `o-${randomBytes(6).toString('hex')}`, sessionKey = randomBytes(16).toString('base64')) => {
    const code = `code-${randomBytes(6).toString('hex')}`;
    await control('codes', { code, openid, session_key: sessionKey });
    const response = await request<EnvelopeBody<Tokens>>(api('/auth/wechat/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'e2e-miniprogram/1.0' },
      body: JSON.stringify({ code }),
    });
    expect(response.status).toBe(200);
    return response.body.data as Tokens;
  };

  beforeAll(async () => {
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    emulatorUrl = `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
    app = await db.startApp({
      WECHAT_APP_ID: appId,
      WECHAT_APP_SECRET: 'auth-e2e-secret',
      WECHAT_API_BASE: emulatorUrl,
      AUTH_KEY_PREFIX: authKeyPrefix,
      AUTH_ACCESS_TTL_S: '60',
      AUTH_MAX_SESSIONS_PER_ACCOUNT: '3',
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
      // user ids restart at 1 in every fresh database: keep this run's counters apart
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:auth:${randomBytes(4).toString('hex')}:`,
    });
  });

  afterAll(async () => {
    await emulator.app.close();
    const keys = await redis.keys(`${authKeyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('logs a new user in, then recognises them on the next login', async () => {
    const openid = `o-new-${randomBytes(4).toString('hex')}`;
    const first = await login(openid);
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 60, user: { isNew: true, nickname: '', avatarUrl: '' } });
    // 16 bytes of session id + 256 random bits, base64url
    expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(first.signKey).toEqual(expect.any(String));
    expect(JSON.stringify(first)).not.toContain('session_key');
    expect(jwt.decode(first.accessToken)).toMatchObject({
      sub: String(first.user.id),
      role: 'user',
      typ: 'user',
      sid: expect.any(String),
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });

    // the durable session row: only the sha256 of the refresh token, where the sign-in came from
    const row = await sessionRow(first.accessToken);
    expect(row).toMatchObject({
      subject_kind: 'user',
      subject_id: first.user.id,
      refresh_hash: createHash('sha256').update(first.refreshToken).digest('hex'),
      generation: 0,
      user_agent: 'e2e-miniprogram/1.0',
      ip: expect.stringMatching(/127\.0\.0\.1/),
      revoked_at: null,
    });

    const second = await login(openid);
    expect(second.user).toMatchObject({ id: first.user.id, isNew: false });
  });

  it('marks token responses no-store, and every response nosniff', async () => {
    const code = `code-${randomBytes(6).toString('hex')}`;
    await control('codes', { code, openid: `o-${randomBytes(6).toString('hex')}`, session_key: randomBytes(16).toString('base64') });
    const signIn = await post<Tokens>('/auth/wechat/login', { code });
    expect(signIn.status).toBe(200);
    const refreshed = await post<Tokens>('/auth/refresh', { refreshToken: signIn.body.data?.refreshToken });
    expect(refreshed.status).toBe(200);
    for (const response of [signIn, refreshed]) {
      expect([response.headers.get('cache-control'), response.headers.get('x-content-type-options')]).toEqual(['no-store', 'nosniff']);
    }
    // everything else: nosniff, whatever the status
    for (const response of [await get('/ping'), await get('/users/me'), await request(`${app.baseUrl}/no/such/route`), await post('/auth/refresh', { refreshToken: 'A'.repeat(64) })]) {
      expect([response.status, response.headers.get('x-content-type-options')]).toEqual([response.status, 'nosniff']);
    }
  });

  it.each([
    [40029, 401, 2101],
    [40163, 401, 2102],
    [45011, 429, 2103],
    [40226, 403, 2104],
    [61234, 502, 2106],
  ])('answers WeChat errcode %i with HTTP %i and code %i', async (errcode, status, code) => {
    const loginCode = `err-${errcode}-${randomBytes(3).toString('hex')}`;
    await control('codes', { code: loginCode, errcode });
    const response = await post('/auth/wechat/login', { code: loginCode });
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ code, data: null, requestId: expect.any(String) });
  });

  it('retries WeChat system busy (-1) once, then answers 503', async () => {
    await control('faults', { path: '/sns/jscode2session', times: 2, errcode: -1 });
    const response = await post('/auth/wechat/login', { code: 'busy-twice' });
    expect(response.status).toBe(503);
    expect(response.body.code).toBe(2105);
  });

  it('creates one user when first logins with the same openid race', async () => {
    const openid = `o-race-${randomBytes(4).toString('hex')}`;
    const codes = Array.from({ length: 6 }, (_, i) => `race-${i}-${randomBytes(3).toString('hex')}`);
    for (const code of codes) await control('codes', { code, openid, session_key: 'c2s=' });
    const responses = await Promise.all(codes.map((code) => post<Tokens>('/auth/wechat/login', { code })));
    expect(responses.map((r) => r.status)).toEqual(codes.map(() => 200));
    expect(new Set(responses.map((r) => r.body.data?.user.id)).size).toBe(1);

    const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE openid = ?', [openid]);
    expect(rows[0].n).toBe(1);
  });

  it('rotates refresh tokens; a retired one revokes the whole session', async () => {
    const session = await login();
    const rotated = await post<Tokens>('/auth/refresh', { refreshToken: session.refreshToken });
    expect(rotated.status).toBe(200);
    const next = rotated.body.data as Tokens;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await get('/users/me', next.accessToken)).status).toBe(200);

    // the retired token comes back: theft. The session ends, the newer tokens die with it.
    const replay = await post('/auth/refresh', { refreshToken: session.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe(2006);
    expect((await post('/auth/refresh', { refreshToken: next.refreshToken })).status).toBe(401);
    const me = await get('/users/me', next.accessToken);
    expect(me.status).toBe(401);
    expect(me.body.code).toBe(2004);
    expect(await sessionRow(session.accessToken)).toMatchObject({ generation: 1, revoke_reason: 'reuse', revoked_at: expect.any(Date) });
  });

  it('lets exactly one of two concurrent refreshes with the same token succeed; the other is a replay', async () => {
    for (let round = 0; round < 3; round += 1) {
      const session = await login();
      const results = await Promise.all([
        post<Tokens>('/auth/refresh', { refreshToken: session.refreshToken }),
        post<Tokens>('/auth/refresh', { refreshToken: session.refreshToken }),
      ]);
      expect(results.map((r) => [r.status, r.body.code]).sort()).toEqual([
        [200, 0],
        [401, 2006],
      ]);
      // indistinguishable from a thief racing the owner, so the session ends: clients refresh one at a time
      const winner = results.find((r) => r.status === 200)?.body.data as Tokens;
      expect((await get('/users/me', winner.accessToken)).body.code).toBe(2004);
      expect((await post('/auth/refresh', { refreshToken: winner.refreshToken })).body.code).toBe(2005);
    }
  });

  it('rebuilds a session whose Redis record was lost from the database at the next refresh', async () => {
    const session = await login();
    const { sid } = jwt.decode(session.accessToken) as { sid: string };
    expect(await redis.del(`${authKeyPrefix}sess:${sid}`)).toBe(1);
    expect((await get('/users/me', session.accessToken)).body.code).toBe(2004);

    const refreshed = await post<Tokens>('/auth/refresh', { refreshToken: session.refreshToken });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body.data as Tokens;
    // the signing key lived only in Redis: a new one comes with the new pair
    expect(next.signKey).not.toBe(session.signKey);
    expect((await get('/users/me', next.accessToken)).status).toBe(200);
  });

  it('keeps at most AUTH_MAX_SESSIONS_PER_ACCOUNT live sessions per account: the oldest ends', async () => {
    const openid = `o-cap-${randomBytes(4).toString('hex')}`;
    const sessions = [];
    for (let i = 0; i < 4; i += 1) sessions.push(await login(openid));
    expect((await get('/users/me', sessions[0].accessToken)).body.code).toBe(2004);
    expect((await post('/auth/refresh', { refreshToken: sessions[0].refreshToken })).body.code).toBe(2005);
    expect(await sessionRow(sessions[0].accessToken)).toMatchObject({ revoke_reason: 'evicted' });
    for (const kept of sessions.slice(1)) expect((await get('/users/me', kept.accessToken)).status).toBe(200);
  });

  it('ends the session at logout: the access token stops working at once', async () => {
    const session = await login();
    expect((await get('/users/me', session.accessToken)).status).toBe(200);
    expect((await post('/auth/logout', {}, session.accessToken)).status).toBe(200);
    const after = await get('/users/me', session.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe(2004);
    expect((await post('/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(401);
    expect(await sessionRow(session.accessToken)).toMatchObject({ revoke_reason: 'logout' });
  });

  it('refuses malformed and unknown refresh tokens with 2005', async () => {
    const session = await login();
    const unknownSession = Buffer.concat([randomBytes(16), randomBytes(32)]).toString('base64url');
    for (const refreshToken of [unknownSession, 'A'.repeat(43), `${session.refreshToken.slice(0, 63)}`]) {
      const response = await post('/auth/refresh', { refreshToken });
      expect([response.status, response.body.code]).toEqual([401, 2005]);
    }
    expect((await post('/auth/refresh', { refreshToken: 'not a token!' })).body.code).toBe(1001);
    // none of these ended the session
    expect((await get('/users/me', session.accessToken)).status).toBe(200);
  });

  it('answers 2005 to a forged token built from the sid of an old access token, and leaves the session alone', async () => {
    const session = await login();
    const { sid } = jwt.decode(session.accessToken) as { sid: string };
    const forged = Buffer.concat([Buffer.from(sid.replace(/-/g, ''), 'hex'), randomBytes(32)]).toString('base64url');
    const response = await post('/auth/refresh', { refreshToken: forged });
    expect([response.status, response.body.code]).toEqual([401, 2005]);
    expect((await get('/users/me', session.accessToken)).status).toBe(200);
    expect(await sessionRow(session.accessToken)).toMatchObject({ revoked_at: null, revoke_reason: null });
    expect((await post('/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(200);
  });

  it('reads the user again at refresh: one disabled behind the API loses the session (2031)', async () => {
    const session = await login();
    await db.query('UPDATE users SET disabled = 1 WHERE id = ?', [session.user.id]);
    const refused = await post('/auth/refresh', { refreshToken: session.refreshToken });
    expect([refused.status, refused.body.code]).toEqual([401, 2031]);
    expect((await get('/users/me', session.accessToken)).body.code).toBe(2004);
    expect(await sessionRow(session.accessToken)).toMatchObject({ revoke_reason: 'revoked' });
  });

  it('gives user sessions an absolute end (AUTH_SESSION_MAX_AGE_S, 30 days by default) that refresh never passes', async () => {
    const session = await login();
    const row = await sessionRow(session.accessToken);
    const created = (row.created_at as Date).getTime();
    expect((row.absolute_expires_at as Date).getTime() - created).toBeCloseTo(30 * 86_400_000, -4);
    await db.query('UPDATE auth_sessions SET absolute_expires_at = created_at, expires_at = created_at WHERE id = ?', [row.id]);
    const over = await post('/auth/refresh', { refreshToken: session.refreshToken });
    expect([over.status, over.body.code]).toEqual([401, 2030]);
  });

  it('checks sessions against the database while Redis is unreachable; a sign-in answers 503 (7040) and keeps nothing', async () => {
    const redisUrl = new URL(testServices.redisUrl);
    const proxy = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await proxy.start();
    const cut = await db.startApp({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      WECHAT_APP_ID: appId,
      WECHAT_APP_SECRET: 'auth-e2e-secret',
      WECHAT_API_BASE: emulatorUrl,
      AUTH_KEY_PREFIX: authKeyPrefix,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:auth-cut:${randomBytes(4).toString('hex')}:`,
    });
    try {
      const code = `cut-${randomBytes(6).toString('hex')}`;
      await control('codes', { code, openid: `o-cut-${randomBytes(4).toString('hex')}`, session_key: 'c2s=' });
      const signIn = await request<EnvelopeBody<Tokens>>(`${cut.baseUrl}/api/v1/auth/wechat/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      expect(signIn.status).toBe(200);
      const auth = { authorization: `Bearer ${signIn.body.data?.accessToken}` };
      expect((await request(`${cut.baseUrl}/api/v1/users/me`, { headers: auth })).status).toBe(200);

      await proxy.stop();
      // the session's row decides (decision 0023)
      expect((await request(`${cut.baseUrl}/api/v1/users/me`, { headers: auth })).status).toBe(200);
      expect((await request(`${cut.baseUrl}/api/v1/ping`)).status).toBe(200);
      // a sign-in needs its live record: 503 with a code and Retry-After, and no session row left
      const openid = `o-cut-down-${randomBytes(4).toString('hex')}`;
      const downCode = `cut-down-${randomBytes(6).toString('hex')}`;
      await control('codes', { code: downCode, openid, session_key: 'c2s=' });
      const refused = await request<EnvelopeBody>(`${cut.baseUrl}/api/v1/auth/wechat/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: downCode }),
      });
      expect([refused.status, refused.body.code, refused.headers.get('retry-after')]).toEqual([503, 7040, '1']);
      const [sessions] = await db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM auth_sessions s JOIN users u ON u.id = s.subject_id WHERE u.openid = ?',
        [openid],
      );
      expect(Number(sessions.n)).toBe(0);

      await proxy.restart();
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await request(`${cut.baseUrl}/api/v1/users/me`, { headers: auth })).status;
      }
      expect(status).toBe(200);
    } finally {
      await cut.close();
      await proxy.stop();
    }
  });

  it('rejects missing, unsigned, tampered, expired and algorithm-confused tokens with 401', async () => {
    const session = await login();
    const claims = jwt.decode(session.accessToken) as Record<string, unknown>;
    const { exp: _exp, iat: _iat, ...bare } = claims;
    const [header, , signature] = session.accessToken.split('.');
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    const tampered = `${header}.${b64({ ...claims, role: 'admin' })}.${signature}`;
    const expired = jwt.sign({ ...bare, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, {
      algorithm: 'HS256',
    });
    // HS/RS confusion: an RS256-style public key used as an HMAC secret must not verify
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = jwt.sign(bare, pem, { algorithm: 'HS256', expiresIn: 60 });
    const otherAlgorithm = jwt.sign(bare, TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: 60 });

    expect((await get('/users/me')).body.code).toBe(2001);
    for (const [token, code] of [
      [unsigned, 2002],
      [tampered, 2002],
      [expired, 2003],
      [confused, 2002],
      [otherAlgorithm, 2002],
      ['not-a-jwt', 2002],
    ] as const) {
      const response = await get('/users/me', token);
      expect({ token: token.slice(0, 12), status: response.status, code: response.body.code }).toEqual({
        token: token.slice(0, 12),
        status: 401,
        code,
      });
    }
  });

  it('rotates the token secret without signing anyone out: tokens of the previous secret work until they expire', async () => {
    const rotated = await db.startApp({
      WECHAT_APP_ID: appId,
      WECHAT_APP_SECRET: 'auth-e2e-secret',
      WECHAT_API_BASE: emulatorUrl,
      AUTH_KEY_PREFIX: authKeyPrefix,
      AUTH_JWT_SECRET: 'e2e-rotated-jwt-secret-abcdefghijklmnopqrstuvwxyz',
      AUTH_JWT_PREVIOUS_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:auth-rot:${randomBytes(4).toString('hex')}:`,
    });
    try {
      const me = (base: string, token: string) => request<EnvelopeBody>(`${base}/api/v1/users/me`, { headers: { authorization: `Bearer ${token}` } });
      // signed before the rotation (by an instance with the old secret): still good
      const before = await login();
      expect((await me(rotated.baseUrl, before.accessToken)).status).toBe(200);
      // signed after it, with the new secret, named in kid
      const code = `code-${randomBytes(6).toString('hex')}`;
      await control('codes', { code, openid: `o-${randomBytes(6).toString('hex')}`, session_key: randomBytes(16).toString('base64') });
      const after = await request<EnvelopeBody<Tokens>>(`${rotated.baseUrl}/api/v1/auth/wechat/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      const token = after.body.data!.accessToken;
      expect((await me(rotated.baseUrl, token)).status).toBe(200);
      expect((jwt.decode(token, { complete: true })?.header.kid ?? '') !== (jwt.decode(before.accessToken, { complete: true })?.header.kid ?? '')).toBe(true);
      // an instance that never had the new secret refuses its tokens
      expect((await me(app.baseUrl, token)).body.code).toBe(2002);
      // the previous secret can sign nothing new: a token it signs that claims the new kid is refused
      const { kid } = jwt.decode(token, { complete: true })!.header;
      const forged = jwt.sign(jwt.decode(token) as object, TEST_JWT_SECRET, { algorithm: 'HS256', keyid: kid });
      expect((await me(rotated.baseUrl, forged)).body.code).toBe(2002);
    } finally {
      await rotated.close();
    }
  });

  it('forbids a mini-program user on an admin-only route (403)', async () => {
    const session = await login();
    const response = await get('/diagnostics/access/admin-only', session.accessToken);
    expect(response.status).toBe(403);
    expect(response.body.code).toBe(2007);
  });

  it('runs the auth guard before the rate limiter: limits count per user, not per shared IP', async () => {
    const [alice, bob] = [await login(), await login()];
    const statuses = async (token: string) => {
      const result = [];
      for (let i = 0; i < 4; i += 1) result.push((await get('/diagnostics/access/per-user-limited', token)).status);
      return result;
    };
    expect(await statuses(alice.accessToken)).toEqual([200, 200, 200, 429]);
    expect(await statuses(bob.accessToken)).toEqual([200, 200, 200, 429]);
  });

  it('limits logins per client IP (RATE_LIMIT_LOGIN_PER_MINUTE)', async () => {
    const strict = await db.startApp({
      WECHAT_APP_ID: appId,
      WECHAT_APP_SECRET: 'auth-e2e-secret',
      WECHAT_API_BASE: emulatorUrl,
      RATE_LIMIT_LOGIN_PER_MINUTE: '2',
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:login:${randomBytes(4).toString('hex')}:`,
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await request(`${strict.baseUrl}/api/v1/auth/wechat/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: `limited-${i}-${randomBytes(3).toString('hex')}` }),
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await strict.close();
    }
  });

  it('decrypts WeChat open data with the session key (WeChat sample vector) and checks rawData signatures', async () => {
    const session = await login(undefined, sample.sessionKey);
    const decrypted = await postSigned<Record<string, unknown>>('/auth/wechat/decrypt', { encryptedData: sample.encryptedData, iv: sample.iv }, session);
    expect(decrypted.status).toBe(200);
    expect(decrypted.body.data).toMatchObject({ openId: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE', watermark: { appid: appId } });

    const rawData = '{"nickName":"Band"}';
    const signature = createHash('sha1').update(rawData + sample.sessionKey).digest('hex');
    const signed = await postSigned('/auth/wechat/decrypt', { encryptedData: sample.encryptedData, iv: sample.iv, rawData, signature }, session);
    expect(signed.status).toBe(200);
    const forged = await postSigned('/auth/wechat/decrypt', { encryptedData: sample.encryptedData, iv: sample.iv, rawData: '{"nickName":"Eve"}', signature }, session);
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe(2012);
  });

  it('refuses open data whose watermark names another mini-program (400)', async () => {
    const sessionKey = randomBytes(16);
    const session = await login(undefined, sessionKey.toString('base64'));
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', sessionKey, iv);
    const plaintext = JSON.stringify({ openId: 'o-x', watermark: { appid: 'wx-another-app', timestamp: 1 } });
    const encryptedData = Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
    const response = await postSigned('/auth/wechat/decrypt', { encryptedData, iv: iv.toString('base64') }, session);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe(2011);
    const garbage = await postSigned('/auth/wechat/decrypt', { encryptedData: 'bm90IGNpcGhlcnRleHQ=', iv: iv.toString('base64') }, session);
    expect(garbage.status).toBe(400);
  });

  it('answers every failed decryption alike (no padding oracle) and allows 10 a minute per user', async () => {
    const sessionKey = randomBytes(16);
    const session = await login(undefined, sessionKey.toString('base64'));
    const encrypt = (plaintext: Buffer, iv: Buffer, padding = true) => {
      const cipher = createCipheriv('aes-128-cbc', sessionKey, iv).setAutoPadding(padding);
      return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
    };
    const iv = randomBytes(16);
    // one payload per step that can fail: the padding, the JSON, the watermark
    const badPadding = encrypt(Buffer.from('fifteen bytes..\u0000'), iv, false);
    expect(() => {
      const decipher = createDecipheriv('aes-128-cbc', sessionKey, iv);
      decipher.update(Buffer.from(badPadding, 'base64'));
      decipher.final();
    }).toThrow();
    const notJson = encrypt(Buffer.from('valid padding, but not JSON'), iv);
    const otherApp = encrypt(Buffer.from(JSON.stringify({ openId: 'o-x', watermark: { appid: 'wx-another-app', timestamp: 1 } })), iv);
    const answers = [];
    for (const encryptedData of [badPadding, notJson, otherApp]) {
      const answer = await postSigned('/auth/wechat/decrypt', { encryptedData, iv: iv.toString('base64') }, session);
      answers.push({ status: answer.status, code: answer.body.code, message: answer.body.message, data: answer.body.data });
    }
    expect(answers[0]).toEqual({ status: 400, code: 2011, message: expect.any(String), data: null });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);

    // an oracle needs thousands of guesses; a user gets 10 a minute
    const statuses = [];
    for (let i = 0; i < 8; i += 1) {
      statuses.push((await postSigned('/auth/wechat/decrypt', { encryptedData: badPadding, iv: randomBytes(16).toString('base64') }, session)).status);
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400, 429]);
    // another user keeps their own allowance
    const other = await login(undefined, sessionKey.toString('base64'));
    expect((await postSigned('/auth/wechat/decrypt', { encryptedData: notJson, iv: iv.toString('base64') }, other)).status).toBe(400);
  });

  it('refuses an unsigned decrypt (401, 2020): the route is @Signed()', async () => {
    const session = await login(undefined, sample.sessionKey);
    const unsigned = await post('/auth/wechat/decrypt', { encryptedData: sample.encryptedData, iv: sample.iv }, session.accessToken);
    expect([unsigned.status, unsigned.body.code]).toEqual([401, 2020]);
  });

  describe('signed requests (@Signed)', () => {
    // what a mini-program does (README: request signing)
    const sign = signedHeaders;
    const send = (session: Tokens, headers: Record<string, string>, body: string) =>
      request<EnvelopeBody>(api('/diagnostics/access/signed'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${session.accessToken}`, ...headers },
        body,
      });
    const path = '/api/v1/diagnostics/access/signed';

    it('accepts a valid signature, and refuses the same nonce a second time', async () => {
      const session = await login();
      const body = JSON.stringify({ name: '签名 ✓', quantity: 2 });
      const headers = sign(session.signKey, 'POST', path, body);
      const ok = await send(session, headers, body);
      expect(ok.status).toBe(200);
      expect(ok.body.data).toEqual({ name: '签名 ✓', quantity: 2 });

      const replay = await send(session, headers, body);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe(2023);
    });

    it('refuses a stale timestamp, an altered body, a missing signature and another session\'s key', async () => {
      const session = await login();
      const body = JSON.stringify({ name: 'order', quantity: 1 });
      const stale = await send(session, sign(session.signKey, 'POST', path, body, Date.now() - 6 * 60_000), body);
      expect([stale.status, stale.body.code]).toEqual([401, 2021]);

      const altered = await send(session, sign(session.signKey, 'POST', path, body), JSON.stringify({ name: 'order', quantity: 99 }));
      expect([altered.status, altered.body.code]).toEqual([401, 2022]);

      const missing = await send(session, {}, body);
      expect([missing.status, missing.body.code]).toEqual([401, 2020]);

      const other = await login();
      const foreign = await send(session, sign(other.signKey, 'POST', path, body), body);
      expect([foreign.status, foreign.body.code]).toEqual([401, 2022]);
    });

    it('signs the query string and an empty body on GET', async () => {
      const session = await login();
      const query = '/api/v1/diagnostics/access/signed?page=2';
      const response = await request(`${app.baseUrl}${query}`, {
        headers: { authorization: `Bearer ${session.accessToken}`, ...sign(session.signKey, 'GET', query, '') },
      });
      expect(response.status).toBe(200);
      const tampered = await request(`${app.baseUrl}/api/v1/diagnostics/access/signed?page=3`, {
        headers: { authorization: `Bearer ${session.accessToken}`, ...sign(session.signKey, 'GET', query, '') },
      });
      expect(tampered.status).toBe(401);
    });
  });
});
