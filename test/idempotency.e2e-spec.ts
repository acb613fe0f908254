import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { EnvelopeBody, request, RunningApp } from './support/app-harness';
import { productionEnv } from './support/environment';
import { useTestDatabase } from './support/test-database';
import { useWechatEmulator } from './support/wechat-emulator';

describe('Idempotency-Key on write routes (real Redis, two instances)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let first: RunningApp;
  let second: RunningApp;
  /** The first mini-program user of this fresh database: id 1. */
  let token: string;
  let userId: number;

  beforeAll(async () => {
    const env = { ...wechat.env, RATE_LIMIT_KEY_PREFIX: `e2e:rl:idem:${randomBytes(4).toString('hex')}:` };
    first = await db.startApp(env);
    second = await db.startApp(env);
    const session = await wechat.signIn(first);
    token = session.accessToken;
    userId = session.user.id;
  });

  // a stored response belongs to the signed-in account that made the request
  const submit = (app: RunningApp, key: string | undefined, body: object, bearer: string | null = token) =>
    request<EnvelopeBody<{ orderNo: number; sku: string }>>(`${app.baseUrl}/api/v1/diagnostics/idempotent/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key ? { 'idempotency-key': key } : {}),
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const executions = async (app: RunningApp) =>
    (await request<EnvelopeBody<{ executions: number }>>(`${app.baseUrl}/api/v1/diagnostics/idempotent/executions`)).body
      .data?.executions ?? -1;

  it('runs concurrent duplicates (across instances) exactly once; the others get 409', async () => {
    const key = randomUUID();
    const before = (await executions(first)) + (await executions(second));
    const responses = await Promise.all([
      submit(first, key, { sku: 'tea', quantity: 1 }),
      submit(second, key, { sku: 'tea', quantity: 1 }),
      submit(first, key, { sku: 'tea', quantity: 1 }),
      submit(second, key, { sku: 'tea', quantity: 1 }),
    ]);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    for (const conflict of responses.filter((r) => r.status === 409)) expect(conflict.body.code).toBe(7020);
    const after = (await executions(first)) + (await executions(second));
    expect(after - before).toBe(1);
  });

  it('replays the stored status and body to a later duplicate, on any instance', async () => {
    const key = randomUUID();
    const original = await submit(first, key, { sku: 'cake', quantity: 2 });
    expect(original.status).toBe(201);
    const before = (await executions(first)) + (await executions(second));

    const replay = await submit(second, key, { quantity: 2, sku: 'cake' }); // same body, other key order
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(original.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await executions(first)) + (await executions(second))).toBe(before);
  });

  it('answers 422 when the same key comes with a different body', async () => {
    const key = randomUUID();
    expect((await submit(first, key, { sku: 'milk', quantity: 1 })).status).toBe(201);
    const reused = await submit(first, key, { sku: 'milk', quantity: 5 });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe(7021);
  });

  it('replays a business refusal too (the request was processed)', async () => {
    const key = randomUUID();
    const refused = await submit(first, key, { sku: 'sold-out', quantity: 1 });
    expect(refused.status).toBe(409);
    const replay = await submit(second, key, { sku: 'sold-out', quantity: 1 });
    expect(replay.status).toBe(409);
    expect(replay.text).toBe(refused.text);
  });

  it('rejects a malformed key and runs normally without one', async () => {
    const bad = await submit(first, 'has spaces in it', { sku: 'x', quantity: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(7022);
    const before = await executions(first);
    expect((await submit(first, undefined, { sku: 'x', quantity: 1 })).status).toBe(201);
    expect((await submit(first, undefined, { sku: 'x', quantity: 1 })).status).toBe(201);
    expect(await executions(first)).toBe(before + 2);
  });

  it('does not store a validation failure as the answer for the key', async () => {
    const key = randomUUID();
    const invalid = await submit(first, key, { sku: 'x', quantity: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe(1001);
    const corrected = await submit(first, key, { sku: 'x', quantity: 1 });
    expect(corrected.status).toBe(201);
  });

  it('needs sign-in: stored responses are kept per account, and an anonymous caller has none (by IP, a NAT would share them)', async () => {
    const anonymous = await submit(first, randomUUID(), { sku: 'tea', quantity: 1 }, null);
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 2001]);
  });

  it('keeps user 1 and admin account 1 apart: the same key from each runs twice and replays to each its own', async () => {
    // fresh database: the first admin account is id 1, like the first user
    const created = spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
      env: { ...process.env, ...productionEnv(db.name), ADMIN_USERNAME: 'idem-admin', ADMIN_PASSWORD: 'idempotent admin pw', ADMIN_ROLE: 'admin' },
      encoding: 'utf8',
    });
    expect(created.status).toBe(0);
    const adminLogin = await request<EnvelopeBody<{ accessToken: string; admin: { id: number } }>>(`${first.baseUrl}/api/v1/auth/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'idem-admin', password: 'idempotent admin pw' }),
    });
    expect(adminLogin.status).toBe(200);
    const admin = adminLogin.body.data!;
    expect(admin.admin.id).toBe(userId);

    const key = randomUUID();
    const asUser = await submit(first, key, { sku: 'user-tea', quantity: 1 });
    const asAdmin = await submit(first, key, { sku: 'admin-cake', quantity: 2 }, admin.accessToken);
    expect([asUser.status, asUser.body.data?.sku]).toEqual([201, 'user-tea']);
    expect([asAdmin.status, asAdmin.body.data?.sku]).toEqual([201, 'admin-cake']);
    // each replay is the caller's own answer
    expect((await submit(second, key, { sku: 'admin-cake', quantity: 2 }, admin.accessToken)).text).toBe(asAdmin.text);
    expect((await submit(second, key, { sku: 'user-tea', quantity: 1 })).text).toBe(asUser.text);
  });
});
