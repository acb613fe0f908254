import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import jwt from 'jsonwebtoken';
import type { AuditLogView } from '../apps/api/src/admin/audit-log.service';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { type EnvelopeBody, request, type RunningApp } from './support/app-harness';
import { type EnvOverrides, productionEnv } from './support/environment';
import { signedHeaders } from './support/signing';
import { useTestDatabase } from './support/test-database';

interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

interface AdminTokens {
  accessToken: string;
  refreshToken: string;
  admin: { id: number; username: string; role: string };
}

// the audit list's rows, as the API sends them
type AuditRow = AuditLogView;

/** `npm run admin:create` against the database of `env`. */
const createAdminIn = (env: EnvOverrides, username: string, password: string, role = 'admin') =>
  spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
    env: { ...process.env, ...env, NODE_ENV: 'test', ADMIN_USERNAME: username, ADMIN_PASSWORD: password, ADMIN_ROLE: role },
    encoding: 'utf8',
  });

const sidOf = (accessToken: string) => (jwt.decode(accessToken) as { sid: string }).sid;

/** Dashboard accounts, roles, user management and the audit log (MariaDB + Redis). */
describe('admin (accounts, RBAC, audit log)', () => {
  const emulator = createWechatEmulator();
  const db = useTestDatabase();
  let app: RunningApp;
  let env: Record<string, string | undefined>;

  const api = (path: string) => `${app.baseUrl}/api/v1${path}`;
  const call = <T = unknown>(method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) =>
    request<EnvelopeBody<T>>(api(path), {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const createAdmin = (username: string, password: string, role = 'admin') => createAdminIn(env, username, password, role);
  const adminLogin = async (username: string, password: string, headers: Record<string, string> = {}) => {
    const response = await call<AdminTokens>('POST', '/auth/admin/login', { username, password }, undefined, headers);
    return response;
  };
  const signedInAdmin = async (username: string, password: string) => {
    const response = await adminLogin(username, password);
    expect([username, response.status]).toEqual([username, 200]);
    return response.body.data as AdminTokens;
  };
  const rootToken = async () => (await signedInAdmin('root-admin', 'correct horse battery')).accessToken;
  const refresh = (refreshToken: string) => call<AdminTokens>('POST', '/auth/refresh', { refreshToken });
  const auditRows = async (query: string, token: string) => {
    const response = await call<Page<AuditRow>>('GET', `/admin/audit-logs?${query}`, undefined, token);
    expect(response.status).toBe(200);
    return response.body.data?.items ?? [];
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

    // every failure and the refusal are audited, under the account
    const [account] = await db.query<{ id: number }>("SELECT id FROM admin_accounts WHERE username = 'lockme'");
    const rows = await auditRows(`targetType=admin_account&targetId=${account.id}&pageSize=100`, await rootToken());
    expect(rows.filter((row) => row.action === 'admin.login_failed')).toHaveLength(5);
    expect(rows.find((row) => row.action === 'admin.login_failed')).toMatchObject({ actor: { id: account.id, username: 'lockme' }, after: { reason: 'wrong_password' } });
    expect(rows.filter((row) => row.action === 'admin.login_locked')).toEqual([
      expect.objectContaining({ actor: { id: account.id, username: 'lockme' }, after: { retryAfterS: expect.any(Number) }, requestId: locked.headers.get('x-request-id') }),
    ]);
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
        clientRequestId: null,
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
    // never by the full number: the dashboard would tell who owns any phone number it is given
    const byFullNumber = await call<Page<{ id: number }>>('GET', '/admin/users?search=13812345678', undefined, admin.accessToken);
    expect(byFullNumber.body.data?.items).toEqual([]);
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

  it('keeps mini-program users off dashboard routes even when their row says operator or admin (403)', async () => {
    const user = await userLogin();
    for (const role of ['operator', 'admin']) {
      await db.query('UPDATE users SET role = ? WHERE id = ?', [role, user.user.id]);
      // a new sign-in carries the row's role in its token
      const again = await wechatLogin(user.openid);
      const token = (again.body.data as { accessToken: string }).accessToken;
      expect(jwt.decode(token)).toMatchObject({ typ: 'user', role });
      for (const [method, path, body] of [
        ['GET', '/admin/users', undefined],
        ['GET', '/admin/audit-logs', undefined],
        ['GET', '/admin/accounts', undefined],
        ['PATCH', `/admin/users/${user.user.id}`, { disabled: true }],
      ] as const) {
        const response = await call(method, path, body, token);
        expect([role, method, path, response.status, response.body.code]).toEqual([role, method, path, 403, 2007]);
      }
      // their own routes still work
      expect((await call('GET', '/users/me', undefined, token)).status).toBe(200);
    }
  });

  it('records where admin sessions come from and audits sign-ins, never storing an unknown username', async () => {
    expect(createAdmin('audited-admin', 'audited admin password').status).toBe(0);
    const signIn = await adminLogin('audited-admin', 'audited admin password', { 'user-agent': 'e2e-dashboard/1.0' });
    expect(signIn.status).toBe(200);
    const tokens = signIn.body.data as AdminTokens;
    const [session] = await db.query<{ ip: string | null; user_agent: string | null }>('SELECT ip, user_agent FROM auth_sessions WHERE id = ?', [
      sidOf(tokens.accessToken),
    ]);
    expect(session).toEqual({ ip: expect.stringMatching(/127\.0\.0\.1/), user_agent: 'e2e-dashboard/1.0' });

    const typo = 'a password typed as the username';
    expect((await adminLogin(typo, 'whatever password')).status).toBe(401);
    const root = await rootToken();
    expect(await auditRows(`action=admin.login&targetId=${tokens.admin.id}`, root)).toEqual([
      expect.objectContaining({ actor: { id: tokens.admin.id, username: 'audited-admin' }, target: { type: 'admin_account', id: String(tokens.admin.id) } }),
    ]);
    const unknown = (await auditRows('action=admin.login_failed&targetId=0', root)).find((row) => (row.after as { reason: string }).reason === 'unknown_account');
    expect(unknown).toMatchObject({ actor: { id: 0, username: '(unknown)' } });
    const [{ n }] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_logs WHERE actor_username = ? OR `after` LIKE ?', [typo, `%${typo}%`]);
    expect(Number(n)).toBe(0);
  });

  it("keeps the server's own request id in audit rows while the caller's X-Request-Id is echoed and stored beside it", async () => {
    const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const root = await rootToken();
    const user = await userLogin();
    const clientId = { 'x-request-id': 'client-chosen-id-1' };
    // the caller gets its own id back, in the header and the envelope (issue 3)
    const disabled = await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, root, clientId);
    expect([disabled.status, disabled.headers.get('x-request-id'), disabled.body.requestId]).toEqual([200, 'client-chosen-id-1', 'client-chosen-id-1']);
    // the same id again, on a second write
    expect((await call('PATCH', `/admin/users/${user.user.id}`, { disabled: false }, root, clientId)).status).toBe(200);
    const [disableRow] = await auditRows(`action=user.disable&targetId=${user.user.id}`, root);
    const [enableRow] = await auditRows(`action=user.enable&targetId=${user.user.id}`, root);
    // the audit rows are stored under ids of ours, one per request, whatever the caller sent
    for (const row of [disableRow, enableRow]) expect(row).toMatchObject({ requestId: expect.stringMatching(UUID), clientRequestId: 'client-chosen-id-1' });
    expect(disableRow.requestId).not.toBe(enableRow.requestId);

    // without a caller id (or with one unfit for a log line) the echoed id is ours, and no client id is stored
    const forged = await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, root, { 'x-request-id': 'evil id' });
    expect(forged.headers.get('x-request-id')).toMatch(UUID);
    expect(await auditRows(`action=user.disable&targetId=${user.user.id}`, root)).toEqual(
      expect.arrayContaining([expect.objectContaining({ requestId: forged.headers.get('x-request-id'), clientRequestId: null })]),
    );
  });

  it('refuses deep pages of dashboard lists (page x pageSize above 10,000) with 400 (2205)', async () => {
    const root = await rootToken();
    for (const list of ['/admin/users', '/admin/audit-logs', '/admin/accounts', '/admin/jobs/failed']) {
      expect([list, (await call('GET', `${list}?page=500&pageSize=20`, undefined, root)).status]).toEqual([list, 200]);
      const deep = await call('GET', `${list}?page=501&pageSize=20`, undefined, root);
      expect([list, deep.status, deep.body.code]).toEqual([list, 400, 2205]);
    }
  });

  describe('admin accounts', () => {
    const createAccount = async (root: string, username: string, password: string, role: 'admin' | 'operator') => {
      const response = await call<{ id: number }>('POST', '/admin/accounts', { username, password, role }, root);
      expect([username, response.status]).toEqual([username, 201]);
      return response.body.data as { id: number };
    };

    it('lets admins, and only admins, list and create accounts with the rules of admin:create', async () => {
      const root = await rootToken();
      const listed = await call<Page<Record<string, unknown>>>('GET', '/admin/accounts', undefined, root);
      expect(listed.status).toBe(200);
      expect(listed.body.data?.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ username: 'root-admin', role: 'admin', disabled: false, lastLoginAt: expect.any(String) })]),
      );
      expect(listed.text).not.toMatch(/argon2|password/i);

      const created = await call<Record<string, unknown>>('POST', '/admin/accounts', { username: 'second-admin', password: 'second admin password', role: 'admin' }, root);
      expect(created.status).toBe(201);
      expect(created.body.data).toEqual({ id: expect.any(Number), username: 'second-admin', role: 'admin', disabled: false, lastLoginAt: null, createdAt: expect.any(String) });
      expect((await adminLogin('second-admin', 'second admin password')).status).toBe(200);
      expect(await auditRows(`action=admin_account.create&targetId=${created.body.data?.id}`, root)).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ username: 'root-admin' }), after: { username: 'second-admin', role: 'admin', disabled: false } }),
      ]);

      const duplicate = await call('POST', '/admin/accounts', { username: 'second-admin', password: 'another long password', role: 'operator' }, root);
      expect([duplicate.status, duplicate.body.code]).toEqual([409, 2202]);
      for (const bad of [
        { username: 'short-pw', password: 'short', role: 'admin' },
        { username: 'Not Lower', password: 'long enough password', role: 'admin' },
        { username: 'no-role', password: 'long enough password', role: 'root' },
        { username: 'extra', password: 'long enough password', role: 'admin', disabled: true },
      ]) {
        const response = await call('POST', '/admin/accounts', bad, root);
        expect([bad.username, response.status, response.body.code]).toEqual([bad.username, 400, 1001]);
      }

      const operator = (await signedInAdmin('operator1', 'read only but long')).accessToken;
      expect((await call('GET', '/admin/accounts', undefined, operator)).status).toBe(403);
      expect((await call('POST', '/admin/accounts', { username: 'by-operator', password: 'long enough password', role: 'admin' }, operator)).status).toBe(403);
      expect((await call('PATCH', `/admin/accounts/${created.body.data?.id}`, { disabled: true }, operator)).status).toBe(403);
      expect((await call('PATCH', '/admin/accounts/999999', { disabled: true }, root)).body.code).toBe(2201);
    });

    it('disabling and demoting an admin refuses their access token and their refresh within one request', async () => {
      const root = await rootToken();
      const { id } = await createAccount(root, 'fired-admin', 'fired admin password', 'admin');
      const fired = await signedInAdmin('fired-admin', 'fired admin password');
      expect((await call('GET', '/admin/users', undefined, fired.accessToken)).status).toBe(200);

      const changed = await call('PATCH', `/admin/accounts/${id}`, { disabled: true, role: 'operator' }, root);
      expect(changed.status).toBe(200);
      expect(changed.body.data).toMatchObject({ id, role: 'operator', disabled: true });
      const access = await call('GET', '/admin/users', undefined, fired.accessToken);
      expect([access.status, access.body.code]).toEqual([401, 2004]);
      const renewed = await refresh(fired.refreshToken);
      expect([renewed.status, renewed.body.code]).toEqual([401, 2005]);
      expect((await adminLogin('fired-admin', 'fired admin password')).body.code).toBe(2008);
      expect(await auditRows(`action=admin_account.update&targetId=${id}`, root)).toEqual([
        expect.objectContaining({ before: { role: 'admin', disabled: false }, after: { role: 'operator', disabled: true } }),
      ]);
      const [{ n }] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM auth_sessions WHERE subject_kind = 'admin' AND subject_id = ? AND revoked_at IS NULL", [id]);
      expect(Number(n)).toBe(0);

      // demoting alone ends the sessions too; signing in again gives the lower role
      const { id: demotedId } = await createAccount(root, 'demoted-admin', 'demoted admin password', 'admin');
      const demoted = await signedInAdmin('demoted-admin', 'demoted admin password');
      expect((await call('PATCH', `/admin/accounts/${demotedId}`, { role: 'operator' }, root)).status).toBe(200);
      expect((await call('GET', '/admin/users', undefined, demoted.accessToken)).body.code).toBe(2004);
      expect((await refresh(demoted.refreshToken)).status).toBe(401);
      const asOperator = await signedInAdmin('demoted-admin', 'demoted admin password');
      expect(asOperator.admin.role).toBe('operator');
      expect((await call('PATCH', `/admin/accounts/${demotedId}`, { role: 'admin' }, asOperator.accessToken)).status).toBe(403);
    });

    it('re-reads an account changed behind the API (straight in the database): writes stop at once, the session at its refresh', async () => {
      const root = await rootToken();
      const { id } = await createAccount(root, 'db-changed-admin', 'db changed admin password', 'admin');
      const victim = await signedInAdmin('db-changed-admin', 'db changed admin password');
      const user = await userLogin();
      // the review's reproduction
      await db.query("UPDATE admin_accounts SET disabled = 1, role = 'operator' WHERE id = ?", [id]);

      const write = await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, victim.accessToken);
      expect([write.status, write.body.code]).toEqual([401, 2004]);
      const renewed = await refresh(victim.refreshToken);
      expect([renewed.status, renewed.body.code]).toEqual([401, 2031]);
      const read = await call('GET', '/admin/users', undefined, victim.accessToken);
      expect([read.status, read.body.code]).toEqual([401, 2004]);
      const [row] = await db.query<{ revoke_reason: string }>('SELECT revoke_reason FROM auth_sessions WHERE id = ?', [sidOf(victim.accessToken)]);
      expect(row.revoke_reason).toBe('revoked');
    });

    it('lets a session follow a promotion at its next refresh', async () => {
      const root = await rootToken();
      const { id } = await createAccount(root, 'promoted-operator', 'promoted operator password', 'operator');
      const operator = await signedInAdmin('promoted-operator', 'promoted operator password');
      const user = await userLogin();
      expect((await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, operator.accessToken)).status).toBe(403);
      expect((await call('PATCH', `/admin/accounts/${id}`, { role: 'admin' }, root)).status).toBe(200);
      // promotion ends nothing: the session goes on as operator until it refreshes
      expect((await call('GET', '/admin/users', undefined, operator.accessToken)).status).toBe(200);
      const renewed = await refresh(operator.refreshToken);
      expect(renewed.status).toBe(200);
      const promoted = renewed.body.data as AdminTokens;
      expect(jwt.decode(promoted.accessToken)).toMatchObject({ role: 'admin', typ: 'admin' });
      expect((await call('PATCH', `/admin/users/${user.user.id}`, { disabled: true }, promoted.accessToken)).status).toBe(200);
    });

    it('changes one\'s own password: the current one is required, the other sessions end, this one goes on', async () => {
      const root = await rootToken();
      const { id } = await createAccount(root, 'pw-admin', 'first password of pw', 'operator');
      const here = await signedInAdmin('pw-admin', 'first password of pw');
      const elsewhere = await signedInAdmin('pw-admin', 'first password of pw');

      const wrong = await call('POST', '/admin/accounts/me/password', { currentPassword: 'not the password', newPassword: 'second password of pw' }, here.accessToken);
      expect([wrong.status, wrong.body.code]).toEqual([403, 2204]);
      const weak = await call('POST', '/admin/accounts/me/password', { currentPassword: 'first password of pw', newPassword: 'short' }, here.accessToken);
      expect([weak.status, weak.body.code]).toEqual([400, 1001]);
      const changed = await call('POST', '/admin/accounts/me/password', { currentPassword: 'first password of pw', newPassword: 'second password of pw' }, here.accessToken);
      expect([changed.status, changed.body.data]).toEqual([200, { endedSessions: 1 }]);

      expect((await call('GET', '/admin/users', undefined, elsewhere.accessToken)).body.code).toBe(2004);
      expect((await refresh(elsewhere.refreshToken)).status).toBe(401);
      expect((await call('GET', '/admin/users', undefined, here.accessToken)).status).toBe(200);
      expect((await refresh(here.refreshToken)).status).toBe(200);
      expect((await adminLogin('pw-admin', 'first password of pw')).body.code).toBe(2008);
      expect((await adminLogin('pw-admin', 'second password of pw')).status).toBe(200);
      const [audit] = await auditRows(`action=admin_account.password_change&targetId=${id}`, root);
      expect(audit).toMatchObject({ actor: { id, username: 'pw-admin' }, before: null, after: null });
    });

    it('ends admin sessions at their absolute lifetime: a refresh never slides past it, then answers 2030', async () => {
      const admin = await signedInAdmin('root-admin', 'correct horse battery');
      const sid = sidOf(admin.accessToken);
      const lifetime = async () => {
        const [row] = await db.query<{ created_at: Date; expires_at: Date; absolute_expires_at: Date }>(
          'SELECT created_at, expires_at, absolute_expires_at FROM auth_sessions WHERE id = ?',
          [sid],
        );
        return row;
      };
      const before = await lifetime();
      // AUTH_ADMIN_SESSION_MAX_AGE_S defaults to 12 h; refresh tokens alone would live 30 days
      expect(before.absolute_expires_at.getTime() - before.created_at.getTime()).toBeCloseTo(12 * 3_600_000, -4);
      expect(before.expires_at.getTime()).toBe(before.absolute_expires_at.getTime());
      const renewed = await refresh(admin.refreshToken);
      expect(renewed.status).toBe(200);
      expect((await lifetime()).expires_at.getTime()).toBe(before.absolute_expires_at.getTime());

      await db.query('UPDATE auth_sessions SET absolute_expires_at = created_at, expires_at = created_at WHERE id = ?', [sid]);
      const over = await refresh((renewed.body.data as AdminTokens).refreshToken);
      expect([over.status, over.body.code]).toEqual([401, 2030]);
    });
  });

  describe('the last enabled admin', () => {
    const own = useTestDatabase();
    let solo: RunningApp;
    let soloEnv: EnvOverrides;
    const soloCall = <T = unknown>(method: string, path: string, body: unknown, token: string) =>
      request<EnvelopeBody<T>>(`${solo.baseUrl}/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    const soloLogin = async (username: string, password: string) => {
      const response = await request<EnvelopeBody<AdminTokens>>(`${solo.baseUrl}/api/v1/auth/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      expect([username, response.status]).toEqual([username, 200]);
      return response.body.data as AdminTokens;
    };
    const activeAdmins = async () =>
      Number((await own.query<{ n: number }>("SELECT COUNT(*) AS n FROM admin_accounts WHERE role = 'admin' AND disabled = 0"))[0].n);

    beforeAll(async () => {
      soloEnv = productionEnv(own.name, {
        AUTH_KEY_PREFIX: `e2e:admin-solo:${randomBytes(4).toString('hex')}:`,
        RATE_LIMIT_KEY_PREFIX: `e2e:rl:admin-solo:${randomBytes(4).toString('hex')}:`,
        RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
        AUTH_ADMIN_SESSION_MAX_AGE_S: '3600',
      });
      solo = await own.startApp(soloEnv);
      expect(createAdminIn(soloEnv, 'only-admin', 'only admin password').status).toBe(0);
    });

    it('ends its sessions at AUTH_ADMIN_SESSION_MAX_AGE_S (here one hour) after sign-in', async () => {
      const only = await soloLogin('only-admin', 'only admin password');
      const [row] = await own.query<{ created_at: Date; absolute_expires_at: Date }>(
        'SELECT created_at, absolute_expires_at FROM auth_sessions WHERE id = ?',
        [sidOf(only.accessToken)],
      );
      expect(row.absolute_expires_at.getTime() - row.created_at.getTime()).toBeCloseTo(3_600_000, -4);
    });

    it('cannot be disabled or demoted, not even by itself (409, 2203)', async () => {
      const only = await soloLogin('only-admin', 'only admin password');
      for (const change of [{ disabled: true }, { role: 'operator' }, { disabled: true, role: 'operator' }]) {
        const response = await soloCall('PATCH', `/admin/accounts/${only.admin.id}`, change, only.accessToken);
        expect([change, response.status, response.body.code]).toEqual([change, 409, 2203]);
      }
      expect(await activeAdmins()).toBe(1);
    });

    it('survives two admins demoting each other at the same moment: one wins, one admin is left', async () => {
      const only = await soloLogin('only-admin', 'only admin password');
      const created = await soloCall<{ id: number }>('POST', '/admin/accounts', { username: 'rival-admin', password: 'rival admin password', role: 'admin' }, only.accessToken);
      expect(created.status).toBe(201);
      const accounts = [
        { username: 'only-admin', password: 'only admin password', id: only.admin.id },
        { username: 'rival-admin', password: 'rival admin password', id: (created.body.data as { id: number }).id },
      ];
      for (let round = 0; round < 3; round += 1) {
        const [a, b] = [await soloLogin(accounts[0].username, accounts[0].password), await soloLogin(accounts[1].username, accounts[1].password)];
        const results = await Promise.all([
          soloCall('PATCH', `/admin/accounts/${accounts[1].id}`, { role: 'operator' }, a.accessToken),
          soloCall('PATCH', `/admin/accounts/${accounts[0].id}`, { role: 'operator' }, b.accessToken),
        ]);
        const statuses = results.map((result) => result.status).sort((x, y) => x - y);
        // the loser is refused as the last admin (409), or arrives after its demotion: its session
        // already ended (401), or its account re-read as an operator (403)
        expect([round, statuses[0], [401, 403, 409].includes(statuses[1])]).toEqual([round, 200, true]);
        expect([round, await activeAdmins()]).toEqual([round, 1]);
        // the winner promotes the other back for the next round
        const winner = results[0].status === 200 ? a : b;
        const loserId = results[0].status === 200 ? accounts[1].id : accounts[0].id;
        expect((await soloCall('PATCH', `/admin/accounts/${loserId}`, { role: 'admin' }, winner.accessToken)).status).toBe(200);
      }
    });
  });
});
