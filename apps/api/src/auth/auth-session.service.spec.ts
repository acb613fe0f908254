import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import { AppError } from '@app/http';
import { appErrorCodeOf, newTestService, useTestDataSource } from '@app/testing';
import { migrations } from '../migrations';
import type { AccountStanding } from './account-standing';
import { AuthSessionService, type IssuedTokens } from './auth-session.service';
import type { AuthConfig } from './auth.config';
import { AuthSession } from './entities/auth-session.entity';
import { SessionLedger } from './session.ledger';
import { MemorySessionStore } from './session.store';
import { mintRefreshToken, sessionIdOfRefreshToken } from './refresh-tokens';

const SECRET = 'unit-test-jwt-secret-0123456789abcdef';
const config: AuthConfig = {
  jwtSecret: SECRET,
  jwtPreviousSecret: null,
  accessTtlS: 900,
  refreshTtlS: 30 * 86_400,
  keyPrefix: 'auth:',
  signing: 'sensitive',
  maxSessionsPerAccount: 3,
  sessionMaxAgeS: { user: 30 * 86_400, admin: 12 * 3600 },
};

const db = useTestDataSource({ entities: [AuthSession], migrations });
let ledger: SessionLedger;
const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

beforeAll(() => {
  ledger = newTestService(SessionLedger, { dataSource: db.dataSource }).sut;
});

afterEach(() => {
  jest.useRealTimers();
  warnings.mockClear();
});

/**
 * A service as the app builds it: @nestjs/jwt with a KeyObject, algorithm pinned; a fresh
 * live-session store; accounts read from `accounts` (kind:id → standing; absent: as issued).
 */
function createService(overrides: Partial<AuthConfig> = {}) {
  const jwtService = new JwtService({
    secret: createSecretKey(Buffer.from(SECRET, 'utf8')) as unknown as string,
    signOptions: { algorithm: 'HS256' },
    verifyOptions: { algorithms: ['HS256'] },
  });
  // reads the clock on every call, so fake timers move it too
  const store = new MemorySessionStore(() => Date.now());
  const service = new AuthSessionService(jwtService, ledger, store, { ...config, ...overrides });
  const accounts = new Map<string, AccountStanding | null>();
  for (const kind of ['user', 'admin'] as const) {
    service.registerAccountLookup(kind, async (id) => {
      const key = `${kind}:${id}`;
      return accounts.has(key) ? (accounts.get(key) ?? null) : { role: kind === 'admin' ? 'admin' : 'user', disabled: false };
    });
  }
  return { service, store, accounts };
}

/** Moves the clock on by `ms` (installing fake timers resets the clock: read it first). */
const laterBy = (ms: number) => {
  const now = Date.now();
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask', 'performance', 'hrtime'] });
  jest.setSystemTime(now + ms);
};

let nextSubject = 1000;
const user = (id = (nextSubject += 1)) => ({ kind: 'user' as const, id, role: 'user' as const });

/** The error code an AppError carries (a failed expectation otherwise). */
/** The stored row of the session a refresh token names. */
const stored = (refreshToken: string) => db.dataSource.getRepository(AuthSession).findOneBy({ id: sessionIdOfRefreshToken(refreshToken) as string });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('AuthSessionService: access tokens', () => {
  let service: AuthSessionService;
  let tokens: IssuedTokens;
  let claims: Record<string, unknown>;
  beforeAll(async () => {
    service = createService().service;
    tokens = await service.issue(user(7));
    claims = jwt.decode(tokens.accessToken) as Record<string, unknown>;
  });

  it('issues HS256 tokens with sub, role, sid, jti, typ, iat and exp, and authenticates them', async () => {
    expect(jwt.decode(tokens.accessToken, { complete: true })?.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(claims).toEqual({
      sub: '7',
      role: 'user',
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      jti: expect.any(String),
      typ: 'user',
      iat: expect.any(Number),
      exp: (claims.iat as number) + 900,
    });
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, signKey: expect.any(String) });
    expect(await service.authenticate(tokens.accessToken)).toEqual({ kind: 'user', id: 7, role: 'user', sessionId: claims.sid });
  });

  it('refuses a tampered payload (2002)', async () => {
    const [header, , signature] = tokens.accessToken.split('.');
    expect(await appErrorCodeOf(service.authenticate(`${header}.${b64({ ...claims, role: 'admin' })}.${signature}`))).toBe(2002);
    expect(await appErrorCodeOf(service.authenticate(`${header}.${b64({ ...claims, sub: '8' })}.${signature}`))).toBe(2002);
  });

  it('refuses alg "none", with or without a signature part (2002)', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}`;
    expect(await appErrorCodeOf(service.authenticate(`${unsigned}.`))).toBe(2002);
    expect(await appErrorCodeOf(service.authenticate(`${unsigned}.${tokens.accessToken.split('.')[2]}`))).toBe(2002);
  });

  it('refuses HS/RS confusion: a token HMAC-signed with an RSA public key as the secret (2002)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const { iat: _iat, exp: _exp, ...bare } = claims;
    expect(await appErrorCodeOf(service.authenticate(jwt.sign(bare, pem, { algorithm: 'HS256', expiresIn: 60 })))).toBe(2002);
    // and a genuine RS256 token: another algorithm than the pinned one
    expect(await appErrorCodeOf(service.authenticate(jwt.sign(bare, privateKey, { algorithm: 'RS256', expiresIn: 60 })))).toBe(2002);
  });

  it('refuses other HMAC algorithms and other secrets, even with valid claims (2002)', async () => {
    const { iat: _iat, exp: _exp, ...bare } = claims;
    expect(await appErrorCodeOf(service.authenticate(jwt.sign(bare, SECRET, { algorithm: 'HS512', expiresIn: 60 })))).toBe(2002);
    expect(await appErrorCodeOf(service.authenticate(jwt.sign(bare, `${SECRET}x`, { algorithm: 'HS256', expiresIn: 60 })))).toBe(2002);
    expect(await appErrorCodeOf(service.authenticate('not.a.jwt'))).toBe(2002);
  });

  it('refuses well-signed tokens whose claims are not ours (2002)', async () => {
    const { iat: _iat, exp: _exp, ...bare } = claims;
    for (const odd of [{ sub: 'abc' }, { sid: 42 }, { typ: 'robot' }]) {
      expect(await appErrorCodeOf(service.authenticate(jwt.sign({ ...bare, ...odd }, SECRET, { algorithm: 'HS256', expiresIn: 60 })))).toBe(2002);
    }
  });

  it('refuses expired tokens with 2003, also after a verified copy was cached', async () => {
    const { iat: _iat, exp: _exp, ...bare } = claims;
    const expired = jwt.sign({ ...bare, exp: Math.floor(Date.now() / 1000) - 1 }, SECRET, { algorithm: 'HS256' });
    expect(await appErrorCodeOf(service.authenticate(expired))).toBe(2003);

    const { service: fresh } = createService();
    const session = await fresh.issue(user());
    expect((await fresh.authenticate(session.accessToken)).kind).toBe('user');
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask', 'performance', 'hrtime'] });
    jest.setSystemTime(Date.now() + 901_000);
    expect(await appErrorCodeOf(fresh.authenticate(session.accessToken))).toBe(2003);
  });
});

describe('AuthSessionService: refresh rotation', () => {
  it('mints 64-character refresh tokens that name their session', () => {
    const sessionId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const token = mintRefreshToken(sessionId);
    expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(sessionIdOfRefreshToken(token)).toBe(sessionId);
    expect(mintRefreshToken(sessionId)).not.toBe(token);
    expect(sessionIdOfRefreshToken(token.slice(1))).toBeNull();
    expect(sessionIdOfRefreshToken(`${token.slice(0, 63)}+`)).toBeNull();
  });

  it('stores only the sha256 of the refresh token, never the token', async () => {
    const { service } = createService();
    const tokens = await service.issue(user(), { ip: '203.0.113.9', userAgent: 'x'.repeat(300) });
    const row = await stored(tokens.refreshToken);
    expect(row?.refreshHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.refreshHash).not.toContain(tokens.refreshToken);
    expect(row).toMatchObject({ ip: '203.0.113.9', generation: 0, revokedAt: null });
    expect(row?.userAgent).toHaveLength(255);
  });

  it('rotates: a new pair, the same session and signKey, the old refresh token retired', async () => {
    const { service } = createService();
    const first = await service.issue(user());
    const second = await service.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.signKey).toBe(first.signKey);
    expect(sessionIdOfRefreshToken(second.refreshToken)).toBe(sessionIdOfRefreshToken(first.refreshToken));
    expect((await service.authenticate(second.accessToken)).sessionId).toBe(sessionIdOfRefreshToken(first.refreshToken));
    const third = await service.refresh(second.refreshToken);
    expect((await stored(third.refreshToken))?.generation).toBe(2);
  });

  it('treats a retired token as theft: 2006, the whole session ends, the newest tokens too', async () => {
    const { service } = createService();
    const first = await service.issue(user());
    const second = await service.refresh(first.refreshToken);
    expect(await appErrorCodeOf(service.refresh(first.refreshToken))).toBe(2006);
    expect(await appErrorCodeOf(service.refresh(second.refreshToken))).toBe(2005);
    expect(await appErrorCodeOf(service.authenticate(second.accessToken))).toBe(2004);
    expect(await appErrorCodeOf(service.authenticate(first.accessToken))).toBe(2004);
    expect(await stored(first.refreshToken)).toMatchObject({ revokeReason: 'reuse' });
    // logged for security review: the session, never a token
    expect(warnings).toHaveBeenCalledWith({ sessionId: sessionIdOfRefreshToken(first.refreshToken) }, expect.stringContaining('replayed'));
    expect(JSON.stringify(warnings.mock.calls)).not.toContain(first.refreshToken);
  });

  it('lets exactly one of two concurrent refreshes with one token win; the other counts as a replay', async () => {
    const { service } = createService();
    for (let round = 0; round < 5; round += 1) {
      const tokens = await service.issue(user());
      const outcomes = await Promise.allSettled([service.refresh(tokens.refreshToken), service.refresh(tokens.refreshToken)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect((rejected?.reason as AppError).code).toBe(2006);
    }
  });

  it('answers 2005 for unknown, malformed, ended and expired sessions, without ending anything', async () => {
    const { service } = createService();
    const live = await service.issue(user());
    expect(await appErrorCodeOf(service.refresh(mintRefreshToken('00000000-0000-4000-8000-000000000000')))).toBe(2005);
    expect(await appErrorCodeOf(service.refresh('A'.repeat(43)))).toBe(2005);
    expect((await service.authenticate(live.accessToken)).kind).toBe('user');

    const loggedOut = await service.issue(user());
    await service.revoke(sessionIdOfRefreshToken(loggedOut.refreshToken) as string);
    expect(await appErrorCodeOf(service.refresh(loggedOut.refreshToken))).toBe(2005);
    expect(await stored(loggedOut.refreshToken)).toMatchObject({ revokeReason: 'logout' });

    const { service: shortLived } = createService({ refreshTtlS: 60 });
    const expiring = await shortLived.issue(user());
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask', 'performance', 'hrtime'] });
    jest.setSystemTime(Date.now() + 61_000);
    expect(await appErrorCodeOf(shortLived.refresh(expiring.refreshToken))).toBe(2005);
  });

  it('rebuilds a lost live record from the row at the next refresh, with a new signKey and no WeChat key', async () => {
    const { service, store } = createService();
    const tokens = await service.issue({ ...user(), wechatSessionKey: 'wx-session-key' });
    const sessionId = sessionIdOfRefreshToken(tokens.refreshToken) as string;
    // what a Redis restart without persistence does (no tombstone: the session did not end)
    (store as unknown as { sessions: Map<string, unknown> }).sessions.delete(sessionId);
    expect(await appErrorCodeOf(service.authenticate(tokens.accessToken))).toBe(2004);

    const next = await service.refresh(tokens.refreshToken);
    expect(next.signKey).not.toBe(tokens.signKey);
    expect((await service.authenticate(next.accessToken)).sessionId).toBe(sessionId);
    expect(await service.wechatSessionKey(sessionId)).toBeNull();
  });
});

describe('AuthSessionService: ending sessions', () => {
  it('logout ends one session at once; the account keeps its others', async () => {
    const { service } = createService();
    const subject = user();
    const [phone, tablet] = [await service.issue(subject), await service.issue(subject)];
    await service.revoke((await service.authenticate(phone.accessToken)).sessionId);
    expect(await appErrorCodeOf(service.authenticate(phone.accessToken))).toBe(2004);
    expect((await service.authenticate(tablet.accessToken)).id).toBe(subject.id);
  });

  it('revokeAllFor ends every session of one account, and only of that kind and id', async () => {
    const { service } = createService();
    const id = (nextSubject += 1);
    const mine = [await service.issue(user(id)), await service.issue(user(id))];
    const sameIdAdmin = await service.issue({ kind: 'admin', id, role: 'admin' });
    const other = await service.issue(user());
    expect(await service.revokeAllFor('user', id)).toBe(2);
    for (const tokens of mine) {
      expect(await appErrorCodeOf(service.authenticate(tokens.accessToken))).toBe(2004);
      expect(await appErrorCodeOf(service.refresh(tokens.refreshToken))).toBe(2005);
    }
    expect((await service.authenticate(sameIdAdmin.accessToken)).kind).toBe('admin');
    expect((await service.authenticate(other.accessToken)).kind).toBe('user');
    expect(await service.revokeAllFor('user', id)).toBe(0);
  });

  it('ends the oldest sessions beyond maxSessionsPerAccount', async () => {
    const { service } = createService({ maxSessionsPerAccount: 2 });
    const subject = user();
    const sessions = [];
    for (let i = 0; i < 4; i += 1) {
      sessions.push(await service.issue(subject));
      // sign-ins in the same millisecond would have no defined order: space them out
      await db.dataSource.query("UPDATE auth_sessions SET created_at = datetime(created_at, '-10 seconds') WHERE subject_id = ?", [subject.id]);
    }
    const alive = [];
    for (const tokens of sessions) alive.push(await service.authenticate(tokens.accessToken).then(() => true, () => false));
    expect(alive).toEqual([false, false, true, true]);
    expect(await stored(sessions[0].refreshToken)).toMatchObject({ revokeReason: 'evicted' });
  });

  it('ends a new session when its confirmation fails (account disabled meanwhile)', async () => {
    const { service } = createService();
    const subject = user();
    const disabled = new AppError({ code: 2010, status: 403, message: 'disabled' });
    expect(await appErrorCodeOf(service.issue(subject, {}, { confirm: () => Promise.reject(disabled) }))).toBe(2010);
    const rows = await db.dataSource.getRepository(AuthSession).find({ where: { subjectId: subject.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ revokeReason: 'revoked', revokedAt: expect.any(Date) });
  });

  it('keeps a fresh random signKey and the WeChat session_key per session, server-side', async () => {
    const { service } = createService();
    const a = await service.issue({ ...user(), wechatSessionKey: randomBytes(16).toString('base64') });
    const b = await service.issue(user());
    expect(a.signKey).not.toBe(b.signKey);
    expect(JSON.stringify(a)).not.toMatch(/wechat|session_?key/i);
    const sessionId = sessionIdOfRefreshToken(a.refreshToken) as string;
    expect(await service.wechatSessionKey(sessionId)).toEqual(expect.any(String));
  });
});

describe('AuthSessionService: with Redis down or stalled', () => {
  const redisDown = () => new AppError({ code: 7040, status: 503, message: 'A shared store is unavailable' });

  it('checks sessions against their rows when the live-session store cannot answer: live passes, ended does not', async () => {
    const { service, store } = createService();
    const live = await service.issue(user());
    const loggedOut = await service.issue(user());
    await service.revoke(sessionIdOfRefreshToken(loggedOut.refreshToken) as string);
    // a logout whose Redis half failed: the record says alive, the row says ended
    const halfEnded = await service.issue(user());
    await ledger.end([sessionIdOfRefreshToken(halfEnded.refreshToken) as string], 'logout', new Date());
    expect((await service.authenticate(halfEnded.accessToken)).kind).toBe('user');

    jest.spyOn(store, 'isAlive').mockRejectedValue(redisDown());
    expect((await service.authenticate(live.accessToken)).sessionId).toBe(sessionIdOfRefreshToken(live.refreshToken));
    expect(await appErrorCodeOf(service.authenticate(loggedOut.accessToken))).toBe(2004);
    expect(await appErrorCodeOf(service.authenticate(halfEnded.accessToken))).toBe(2004);
  });

  it('asks the database once per event-loop turn, for every check of the turn', async () => {
    const { service, store } = createService();
    const sessions = [await service.issue(user()), await service.issue(user()), await service.issue(user())];
    jest.spyOn(store, 'isAlive').mockRejectedValue(redisDown());
    const queries = jest.spyOn(db.dataSource, 'query');
    const principals = await Promise.all(sessions.map((tokens) => service.authenticate(tokens.accessToken)));
    expect(principals.map((principal) => principal.kind)).toEqual(['user', 'user', 'user']);
    expect(queries.mock.calls.filter(([sql]) => String(sql).includes('revoked_at IS NULL AND expires_at'))).toHaveLength(1);
    queries.mockRestore();
  });

  it('fails closed with 503 (1008) when neither the store nor the database can answer', async () => {
    const { service, store } = createService();
    const tokens = await service.issue(user());
    jest.spyOn(store, 'isAlive').mockRejectedValue(redisDown());
    const isLive = jest.spyOn(ledger, 'isLive').mockRejectedValue(new Error('connect ECONNREFUSED'));
    try {
      expect(await appErrorCodeOf(service.authenticate(tokens.accessToken))).toBe(1008);
    } finally {
      isLive.mockRestore();
    }
  });

  it('logs the fallback once per interval, not once per request', async () => {
    const { service, store } = createService();
    const tokens = await service.issue(user());
    jest.spyOn(store, 'isAlive').mockRejectedValue(redisDown());
    for (let i = 0; i < 20; i += 1) await service.authenticate(tokens.accessToken);
    expect(warnings.mock.calls.filter(([, message]) => String(message).includes('checked against the database'))).toHaveLength(1);
  });

  it('keeps neither the row nor the record of a sign-in whose live record could not be written', async () => {
    const { service, store } = createService();
    const subject = user();
    jest.spyOn(store, 'put').mockRejectedValue(redisDown());
    const ended = jest.spyOn(store, 'end');
    expect(await appErrorCodeOf(service.issue(subject))).toBe(7040);
    expect(await db.dataSource.getRepository(AuthSession).countBy({ subjectId: subject.id })).toBe(0);
    // should a stalled Redis still run the put later, the ending (tombstone) wins
    expect(ended).toHaveBeenCalledWith([expect.any(String)], config.accessTtlS * 1000 + 60_000);
  });

  it('rolls a refresh back when the live record cannot be renewed, so the retry is a refresh, not a replay', async () => {
    const { service, store } = createService();
    const tokens = await service.issue(user());
    const renew = jest.spyOn(store, 'renew').mockRejectedValueOnce(redisDown());
    expect(await appErrorCodeOf(service.refresh(tokens.refreshToken))).toBe(7040);
    expect(await stored(tokens.refreshToken)).toMatchObject({ generation: 0, revokedAt: null });
    renew.mockRestore();
    const next = await service.refresh(tokens.refreshToken);
    expect((await service.authenticate(next.accessToken)).sessionId).toBe(sessionIdOfRefreshToken(tokens.refreshToken));
  });
});

describe('AuthSessionService: replays and forgeries', () => {
  it('answers 2005 to a token that merely names a live session (its sid is public), and ends nothing', async () => {
    const { service } = createService();
    const tokens = await service.issue(user());
    const sessionId = sessionIdOfRefreshToken(tokens.refreshToken) as string;
    // what anyone holding an old access token can build: the sid and 32 random bytes
    expect(await appErrorCodeOf(service.refresh(mintRefreshToken(sessionId)))).toBe(2005);
    expect((await service.authenticate(tokens.accessToken)).sessionId).toBe(sessionId);
    expect(await stored(tokens.refreshToken)).toMatchObject({ revokedAt: null, generation: 0 });
    expect((await service.refresh(tokens.refreshToken)).refreshToken).toEqual(expect.any(String));
  });

  it('recognises the token the last rotation retired as a replay (2006); older ones are a plain 2005', async () => {
    const { service } = createService();
    const first = await service.issue(user());
    const second = await service.refresh(first.refreshToken);
    const third = await service.refresh(second.refreshToken);
    expect(await appErrorCodeOf(service.refresh(first.refreshToken))).toBe(2005);
    expect((await service.authenticate(third.accessToken)).kind).toBe('user');
    expect(await appErrorCodeOf(service.refresh(second.refreshToken))).toBe(2006);
    expect(await appErrorCodeOf(service.authenticate(third.accessToken))).toBe(2004);
  });
});

describe('AuthSessionService: absolute session lifetime', () => {
  it('slides the expiry on refresh but never past the absolute end; then refresh answers 2030 and access tokens stop', async () => {
    const { service } = createService({ refreshTtlS: 3600, accessTtlS: 4 * 3600, sessionMaxAgeS: { user: 3 * 3600, admin: 3600 } });
    const signedInAt = Date.now();
    const first = await service.issue(user());
    const row = await stored(first.refreshToken);
    expect(row?.absoluteExpiresAt.getTime()).toBeCloseTo(signedInAt + 3 * 3_600_000, -3);
    expect(row?.expiresAt.getTime()).toBeCloseTo(signedInAt + 3_600_000, -3);

    laterBy(50 * 60_000);
    const second = await service.refresh(first.refreshToken);
    expect((await stored(second.refreshToken))?.expiresAt.getTime()).toBeCloseTo(signedInAt + 110 * 60_000, -3);
    laterBy(50 * 60_000);
    const third = await service.refresh(second.refreshToken);
    laterBy(50 * 60_000); // 2 h 30 min after sign-in: sliding would reach 3 h 30 min
    const fourth = await service.refresh(third.refreshToken);
    expect((await stored(fourth.refreshToken))?.expiresAt.getTime()).toBe(row?.absoluteExpiresAt.getTime());
    expect((await service.authenticate(fourth.accessToken)).kind).toBe('user');

    laterBy(35 * 60_000); // past the absolute end; the access token itself is still unexpired
    expect(await appErrorCodeOf(service.authenticate(fourth.accessToken))).toBe(2004);
    expect(await appErrorCodeOf(service.refresh(fourth.refreshToken))).toBe(2030);
    // only the holder of the current token is told why
    expect(await appErrorCodeOf(service.refresh(mintRefreshToken(sessionIdOfRefreshToken(fourth.refreshToken) as string)))).toBe(2005);
  });

  it('gives admin sessions their own, shorter lifetime', async () => {
    const { service } = createService({ sessionMaxAgeS: { user: 30 * 86_400, admin: 12 * 3600 } });
    const signedInAt = Date.now();
    const tokens = await service.issue({ kind: 'admin', id: (nextSubject += 1), role: 'admin' });
    const row = await stored(tokens.refreshToken);
    expect(row?.absoluteExpiresAt.getTime()).toBeCloseTo(signedInAt + 12 * 3_600_000, -3);
    expect(row?.expiresAt.getTime()).toBe(row?.absoluteExpiresAt.getTime());
    laterBy(12 * 3_600_000 + 1000);
    expect(await appErrorCodeOf(service.refresh(tokens.refreshToken))).toBe(2030);
  });
});

describe('AuthSessionService: the account is read again at every refresh', () => {
  it.each([
    ['disabled', { role: 'admin', disabled: true }],
    ['demoted', { role: 'operator', disabled: false }],
    ['deleted', null],
  ] as const)('ends the session of an account %s since sign-in (2031), at once for its access tokens', async (_case, standing) => {
    const { service, accounts } = createService();
    const id = (nextSubject += 1);
    const tokens = await service.issue({ kind: 'admin', id, role: 'admin' });
    accounts.set(`admin:${id}`, standing);
    expect(await appErrorCodeOf(service.refresh(tokens.refreshToken))).toBe(2031);
    expect(await appErrorCodeOf(service.authenticate(tokens.accessToken))).toBe(2004);
    expect(await stored(tokens.refreshToken)).toMatchObject({ revokeReason: 'revoked', revokedAt: expect.any(Date) });
  });

  it('ends a disabled mini-program user\'s session the same way', async () => {
    const { service, accounts } = createService();
    const subject = user();
    const tokens = await service.issue(subject);
    accounts.set(`user:${subject.id}`, { role: 'user', disabled: true });
    expect(await appErrorCodeOf(service.refresh(tokens.refreshToken))).toBe(2031);
  });

  it('lets a session follow a role that went up: the new token, the row and the live record carry it', async () => {
    const { service, accounts } = createService();
    const id = (nextSubject += 1);
    const tokens = await service.issue({ kind: 'admin', id, role: 'operator' });
    accounts.set(`admin:${id}`, { role: 'admin', disabled: false });
    const next = await service.refresh(tokens.refreshToken);
    expect(jwt.decode(next.accessToken)).toMatchObject({ role: 'admin' });
    expect(next.signKey).toBe(tokens.signKey);
    expect((await service.authenticate(next.accessToken)).role).toBe('admin');
    expect(await stored(next.refreshToken)).toMatchObject({ role: 'admin', revokedAt: null });
    // and a rebuilt live record takes it from the row
    const again = await service.refresh(next.refreshToken);
    expect(jwt.decode(again.accessToken)).toMatchObject({ role: 'admin' });
  });

  it('rolls the rotation back when the account cannot be read, so the retry is a refresh, not a replay', async () => {
    const { service } = createService();
    const tokens = await service.issue(user());
    service.registerAccountLookup('user', () => Promise.reject(new Error('connect ECONNREFUSED')));
    await expect(service.refresh(tokens.refreshToken)).rejects.toThrow('ECONNREFUSED');
    expect(await stored(tokens.refreshToken)).toMatchObject({ generation: 0, revokedAt: null });
    service.registerAccountLookup('user', async () => ({ role: 'user', disabled: false }));
    expect((await service.refresh(tokens.refreshToken)).refreshToken).toEqual(expect.any(String));
  });

  it('fails closed for a kind of account nobody registered a lookup for', async () => {
    const jwtService = new JwtService({ secret: createSecretKey(Buffer.from(SECRET, 'utf8')) as unknown as string, signOptions: { algorithm: 'HS256' } });
    const bare = new AuthSessionService(jwtService, ledger, new MemorySessionStore(), config);
    const tokens = await bare.issue(user());
    await expect(bare.refresh(tokens.refreshToken)).rejects.toThrow('no account lookup registered');
  });
});
