import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { productionEnv } from './support/environment';
import { signedHeaders } from './support/signing';
import { useTestDatabase } from './support/test-database';

interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** Dashboard accounts, roles, user management and the audit log (MariaDB + Redis). */
describe('admin (accounts, RBAC, audit log)', () => {
  const emulator = createWechatEmulator();
  const db = useTestDatabase();
  let app: RunningApp;
  let env: Record<string, string | undefined>;

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const call = <T = unknown>(method: string, path: string, body?: unknown, token?: string) =>
    request<EnvelopeBody<T>>(api(path), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const createAdmin = (username: string, password: string, role = 'admin') =>
    spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
      env: { ...process.env, ...env, NODE_ENV: 'test', ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_ROLE: role },
      encoding: 'utf8',
    });
  const adminLogin = async (username: string, password: string) => {
    const response = await call<{ accessToken: string }>('POST', '/auth/admin/login', { username, password });
    return response;
  };
  const emulatorUrl = () => `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
  const control = (path: string, body: unknown) =>
    fetch(`${emulatorUrl()}/__control/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const wechatLogin = async (openid: string) => {
    const code = `u-${randomBytes(6).toString('hex')}`;
    await control('codes', { code, openid, session_key: randomBytes(16).toString('base64') });
    return call<{ accessToken: string; signKey: string; user: { id: number } }>('POST', '/auth/wechat/login', { code });
  };
  const userLogin = async (openid = `o-${randomBytes(6).toString('hex')}`) => {
    const response = await wechatLogin(openid);
    expect(response.status).toBe(200);
    return { ...(response.body.data as { accessToken: string; signKey: string; user: { id: number } }), openid };
  };

  beforeAll(async () => {
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    const emulatorUrl = `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
    env = productionEnv(db.name, {
      WECHAT_API_BASE: emulatorUrl,
      AUTH_KEY_PREFIX: `e2e:admin:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:admin:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
    });
    app = await db.startApp(env); // migrates the fresh database
  });

  afterAll(async () => {
    await emulator.app.close();
  });

  it('creates accounts with npm run admin:create, never with a weak or default password', () => {
    const created = createAdmin('root-admin', 'correct horse battery');
    expect(created.stdout + created.stderr).toContain('created admin root-admin');
    expect(created.status).toBe(0);
    expect(createAdmin('operator1', 'read only but long', 'operator').status).toBe(0);

    const weak = createAdmin('weakling', 'short');
    expect(weak.status).toBe(2);
    expect(weak.stderr).toContain('at least 12 characters');
    expect(createAdmin('root-admin', 'another long password').stderr).toContain('already exists');
  });

  it('signs an admin in; unknown user and wrong password get the same answer', async () => {
    const ok = await adminLogin('root-admin', 'correct horse battery');
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ tokenType: 'Bearer', admin: { username: 'root-admin', role: 'admin' } });
    expect(ok.headers.get('cache-control')).toBe('no-store');

    const wrong = await adminLogin('root-admin', 'wrong password!!');
    const unknown = await adminLogin('nobody-here', 'wrong password!!');
    expect([wrong.status, wrong.body.code, wrong.body.message]).toEqual([401, 2008, 'Wrong username or password']);
    expect([unknown.status, unknown.body.code, unknown.body.message]).toEqual([401, 2008, 'Wrong username or password']);
  });

  it('locks an account after 5 failures, even for the right password', async () => {
    expect(createAdmin('lockme', 'the right password').status).toBe(0);
    for (let i = 0; i < 5; i += 1) expect((await adminLogin('lockme', `wrong guess ${i}`)).status).toBe(401);
    const locked = await adminLogin('lockme', 'the right password');
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe(2009);
    // other accounts from the same IP are still fine (the IP limit is higher)
    expect((await adminLogin('root-admin', 'correct horse battery')).status).toBe(200);
  });

  it('counts sign-in attempts before checking them: of 10 parallel wrong passwords, 5 are checked and 5 refused', async () => {
    // its own counters (AUTH_KEY_PREFIX) and client addresses (X-Forwarded-For from a trusted proxy)
    const racing = await db.startApp({ ...env, AUTH_KEY_PREFIX: `e2e:admin-race:${randomBytes(4).toString('hex')}:`, TRUSTED_PROXIES: '127.0.0.1' });
    const attempt = (username: string, password: string, ip: string) =>
      request<EnvelopeBody>(`${racing.baseUrl}/api/v1/auth/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ username, password }),
      });
    expect(createAdmin('raceme', 'the right password').status).toBe(0);
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt('raceme', `wrong guess ${i}`, '203.0.113.50')));
    const tally = (codes: number[]) => codes.reduce<Record<number, number>>((counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});
    expect(tally(burst.map((response) => response.body.code))).toEqual({ 2008: 5, 2009: 5 });
    expect((await attempt('raceme', 'the right password', '203.0.113.51')).body.code).toBe(2009);

    // per client address, IPv6 by /64: 20 failures from one /64 lock it, whatever the address
    const failures = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(`nobody${i}`, 'wrong password!!', `2001:db8:5:6::${(i + 1).toString(16)}`)));
    expect(failures.map((response) => response.body.code)).toEqual(Array(20).fill(2008));
    expect((await attempt('root-admin', 'correct horse battery', '2001:db8:5:6:ffff:ffff:ffff:ffff')).body.code).toBe(2009);
    expect((await attempt('root-admin', 'correct horse battery', '2001:db8:5:7::1')).status).toBe(200);
  });

  it('keeps mini-program users out of admin routes (403) and lets operators read but not write', async () => {
    const user = await userLogin();
    const asUser = await call('GET', '/admin/users', undefined, user.accessToken);
    expect([asUser.status, asUser.body.code]).toEqual([403, 2007]);

    const operator = (await adminLogin('operator1', 'read only but long')).body.data as { accessToken: string };
    expect((await call('GET', '/admin/users', undefined, operator.accessToken)).status).toBe(200);
    expect((await call('GET', '/admin/audit-logs', undefined, operator.accessToken)).status).toBe(200);
    const write = await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, operator.accessToken);
    expect([write.status, write.body.code]).toEqual([403, 2007]);
  });

  it('disables a user: their token stops working at once, the change is audited', async () => {
    const admin = (await adminLogin('root-admin', 'correct horse battery')).body.data as { accessToken: string };
    const user = await userLogin();
    expect((await call('GET', '/users/me', undefined, user.accessToken)).status).toBe(200);

    const disabled = await call<{ disabled: boolean }>('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, admin.accessToken);
    expect(disabled.status).toBe(200);
    expect(disabled.body.data).toMatchObject({ id: user.user.id, disabled: true });
    expect((await call('GET', '/users/me', undefined, user.accessToken)).status).toBe(401);

    const logs = await call<Page<Record<string, unknown>>>(
      'GET',
      `/admin/audit-logs?action=user.disable&targetId=${user.user.id}`,
      undefined,
      admin.accessToken,
    );
    expect(logs.status).toBe(200);
    expect(logs.body.data?.items).toEqual([
      expect.objectContaining({
        actor: { id: expect.any(Number), username: 'root-admin' },
        action: 'user.disable',
        target: { type: 'user', id: String(user.user.id) },
        before: { disabled: false },
        after: { disabled: true },
        requestId: disabled.headers.get('x-request-id'),
        ip: expect.any(String),
      }),
    ]);

    // a disabled user cannot sign in again until re-enabled
    const again = await wechatLogin(user.openid);
    expect([again.status, again.body.code]).toEqual([403, 2010]);
    const malformed = await call('PATCH', `/admin/users/${user.user.id}`, { disabled: false, role: 'admin' }, admin.accessToken);
    expect(malformed.status).toBe(400);
    expect((await call('PATCH', `/admin/users/${user.user.id}`, { disabled: false }, admin.accessToken)).status).toBe(200);
    expect((await wechatLogin(user.openid)).status).toBe(200);
  });

  it('lists users with masked phones, searchable by nickname and phone, paged', async () => {
    const admin = (await adminLogin('root-admin', 'correct horse battery')).body.data as { accessToken: string };
    const code = `pn-${randomBytes(4).toString('hex')}`;
    const user = await userLogin();
    await control('phones', { code, phoneNumber: '13812345678' });
    // phone binding is a signed request (AUTH_SIGNING=sensitive, the default)
    const phoneBody = JSON.stringify({ code });
    const bound = await request(api('/users/me/phone'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}`, ...signedHeaders(user.signKey, 'POST', '/api/v1/users/me/phone', phoneBody) },
      body: phoneBody,
    });
    expect(bound.status).toBe(200);
    await call('PATCH', '/users/me', { nickname: '测试用户' }, user.accessToken);

    const byTail = await call<Page<{ id: number; phone: string }>>('GET', '/admin/users?search=5678', undefined, admin.accessToken);
    expect(byTail.body.data?.items).toEqual([expect.objectContaining({ id: user.user.id, phone: '138****5678' })]);
    const byNickname = await call<Page<{ id: number }>>(
      'GET',
      `/admin/users?search=${encodeURIComponent('测试')}`,
      undefined,
      admin.accessToken,
    );
    expect(byNickname.body.data?.items.map((item) => item.id)).toEqual([user.user.id]);
    const paged = await call<Page<unknown>>('GET', '/admin/users?page=1&pageSize=2', undefined, admin.accessToken);
    expect(paged.body.data).toMatchObject({ page: 1, pageSize: 2 });
    expect(paged.body.data?.items).toHaveLength(2);
    expect(paged.body.data?.total).toBeGreaterThan(2);
    expect((await call('GET', '/admin/users?pageSize=1000', undefined, admin.accessToken)).status).toBe(400);
  });
});
