import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request, RunningApp, startApp } from './support/app-harness';
import { freePort } from './support/child-app';
import { signedHeaders } from './support/signing';

/** What a newcomer gets from `npm start` with no environment at all. */
describe('embedded default profile (no DB_HOST, no REDIS_URL)', () => {
  let workdir: string;
  let running: RunningApp;
  /** The built-in emulator's address (its /__control API plays the user paying). */
  let emulatorUrl: string;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'wxmp-embedded-'));
    const emulatorPort = await freePort();
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    running = await startApp({ DATA_DIR: workdir, WECHAT_EMULATOR_PORT: String(emulatorPort) });
  });

  afterAll(async () => {
    await running?.close();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('serves ping and readiness', async () => {
    const ping = await request(`${running.baseUrl}/api/v1/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body.data).toEqual({ pong: true });

    const ready = await request<{ data: { details: Record<string, { status: string; mode?: string }> } }>(
      `${running.baseUrl}/health/ready`,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.data.details.database.status).toBe('up');
    expect(ready.body.data.details.redis).toEqual({ status: 'up' });
  });

  it('logs in through the built-in WeChat emulator and serves the signed-in user', async () => {
    const login = await request<{ data: { accessToken: string; refreshToken: string; user: { id: number; isNew: boolean } } }>(
      `${running.baseUrl}/api/v1/auth/wechat/login`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'any-dev-code' }) },
    );
    expect(login.status).toBe(200);
    expect(login.body.data.user.isNew).toBe(true);
    expect(running.child.output()).toContain('built-in WeChat emulator');

    const auth = { authorization: `Bearer ${login.body.data.accessToken}` };
    const me = await request<{ data: { id: number } }>(`${running.baseUrl}/api/v1/users/me`, { headers: auth });
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(login.body.data.user.id);

    // sessions live in process here: refresh rotation and logout follow the same rules
    const refreshed = await request(`${running.baseUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: login.body.data.refreshToken }),
    });
    expect(refreshed.status).toBe(200);
    const logout = await request(`${running.baseUrl}/api/v1/auth/logout`, { method: 'POST', headers: auth });
    expect(logout.status).toBe(200);
    expect((await request(`${running.baseUrl}/api/v1/users/me`, { headers: auth })).status).toBe(401);
  });

  it('takes a catalogue from npm run seed, an order for it, and its payment through the built-in emulator, on SQLite', async () => {
    const seed = () => spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/seed.js')], { env: { ...process.env, DATA_DIR: workdir }, encoding: 'utf8' });
    const first = seed();
    expect([first.status, first.stdout]).toEqual([0, expect.stringContaining('seed: added 4 products')]);
    // never twice
    expect(seed().stdout).toContain('nothing added');
    const products = await request<{ data: { items: Array<{ id: number; skus: Array<{ id: number; priceFen: number }> }>; total: number } }>(
      `${running.baseUrl}/api/v1/products`,
    );
    expect(products.body.data.total).toBe(4);
    const sku = products.body.data.items[0].skus[0];
    const login = await request<{ data: { accessToken: string; signKey: string } }>(`${running.baseUrl}/api/v1/auth/wechat/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'seed-buyer-code' }),
    });
    const body = JSON.stringify({ items: [{ skuId: sku.id, quantity: 2 }] });
    const order = await request<{ data: { id: number; orderNo: string; status: string; totalFen: number } }>(`${running.baseUrl}/api/v1/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${login.body.data.accessToken}`,
        'idempotency-key': 'embedded-order-1',
        ...signedHeaders(login.body.data.signKey, 'POST', '/api/v1/orders', body),
      },
      body,
    });
    expect([order.status, order.body.data]).toEqual([201, expect.objectContaining({ status: 'PENDING_PAYMENT', totalFen: sku.priceFen * 2 })]);

    // login → order → pay → paid, locally: WeChat Pay is the built-in emulator with its dev keys
    const payPath = `/api/v1/orders/${order.body.data.id}/pay`;
    const pay = await request<{ data: { package: string } }>(`${running.baseUrl}${payPath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${login.body.data.accessToken}`, ...signedHeaders(login.body.data.signKey, 'POST', payPath, '') },
    });
    expect([pay.status, pay.body.data.package]).toEqual([200, expect.stringMatching(/^prepay_id=/)]);
    const paid = await request<{ delivery: { status: number } }>(`${emulatorUrl}/__control/pay/${order.body.data.orderNo}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ result: 'SUCCESS' }),
    });
    expect(paid.body.delivery.status).toBe(204);
    const after = await request<{ data: { status: string } }>(`${running.baseUrl}/api/v1/orders/${order.body.data.id}`, {
      headers: { authorization: `Bearer ${login.body.data.accessToken}` },
    });
    expect(after.body.data.status).toBe('PAID');
  });

  it('keeps its data in a SQLite file under DATA_DIR, migrated on start', () => {
    expect(existsSync(join(workdir, 'app.sqlite'))).toBe(true);
  });

  it('says which profile it runs and where the data lives in its first log lines', async () => {
    // pretty logs are written by a worker thread: they can trail the first answered request
    const deadline = Date.now() + 5_000;
    while (!running.child.output().includes('Profile: embedded') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const output = running.child.output();
    expect(output).toContain('Profile: embedded');
    expect(output).toContain(join(workdir, 'app.sqlite'));
    const firstLines = output.split('\n').slice(0, 25).join('\n');
    expect(firstLines).toContain('Profile: embedded');
  });

  it('serves the API docs outside production', async () => {
    const docs = await fetch(`${running.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
