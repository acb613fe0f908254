import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { emulatorPayEnvironment } from '../libs/wechat/src/pay/wechat-pay.config';
import { request, type RunningApp } from './support/app-harness';
import { freePort } from './support/child-app';
import { productionEnv } from './support/environment';
import { type ApiCallOptions, callApi } from './support/signing';
import { useTestDatabase } from './support/test-database';
import { type SignedIn, useWechatEmulator } from './support/wechat-emulator';

interface OrderBody {
  id: number;
  orderNo: string;
  status: string;
  totalFen: number;
  paidFen: number;
  refundedFen: number;
  trackingNo: string | null;
}

interface PayParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

interface Delivery {
  status: number | null;
  responseBody: string;
}

/**
 * Money paths end to end: the built app against MariaDB, Redis and the WeChat emulator's WeChat Pay
 * (prepay, query, close, refund; signed, encrypted notifies sent by its /__control API).
 */
describe('order payments through WeChat Pay (MariaDB + Redis + emulator)', () => {
  const db = useTestDatabase();
  const wechat = useWechatEmulator();
  let app: RunningApp;
  /** The same database, with 3-second pay deadlines: the timeout paths. */
  let quick: RunningApp;
  let adminToken: string;

  /** `session`: signed in as that user, the request signed (order create, pay and cancel are @Signed()). */
  const call = <T = unknown>(target: RunningApp, method: string, path: string, options: ApiCallOptions = {}) =>
    callApi<T>(target.baseUrl, method, path, options);
  const emulator = () => wechat.env.WECHAT_API_BASE as string;
  const control = async <T = { delivery: Delivery | null }>(path: string, body: unknown = {}): Promise<T> => {
    const response = await fetch(`${emulator()}/__control/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await response.json()) as T;
  };
  const wechatState = async (orderNo: string) =>
    ((await (await fetch(`${emulator()}/__control/pay/${orderNo}`)).json()) as { transaction?: { trade_state: string } }).transaction?.trade_state;

  const insertSku = async (stock: number, priceFen: number): Promise<number> => {
    const name = `p-${randomBytes(4).toString('hex')}`;
    await db.query('INSERT INTO products (name, category, on_shelf) VALUES (?, ?, 1)', [name, 'pay']);
    const [{ id: productId }] = await db.query<{ id: number }>('SELECT id FROM products WHERE name = ?', [name]);
    await db.query('INSERT INTO skus (product_id, name, price_fen, stock) VALUES (?, ?, ?, ?)', [productId, 'std', priceFen, stock]);
    return (await db.query<{ id: number }>('SELECT id FROM skus WHERE product_id = ?', [productId]))[0].id;
  };
  const stockOf = async (skuId: number) => (await db.query<{ stock: number }>('SELECT stock FROM skus WHERE id = ?', [skuId]))[0].stock;
  const orderRow = async (id: number) =>
    (await db.query<{ status: string; paid_fen: number; refunded_fen: number; transaction_id: string | null }>('SELECT status, paid_fen, refunded_fen, transaction_id FROM orders WHERE id = ?', [id]))[0];
  const placeOrder = async (target: RunningApp, buyer: SignedIn, skuId: number, quantity = 1): Promise<OrderBody> => {
    const placed = await call<OrderBody>(target, 'POST', '/orders', { session: buyer, body: { items: [{ skuId, quantity }] }, headers: { 'idempotency-key': randomBytes(8).toString('hex') } });
    expect(placed.status).toBe(201);
    return placed.body.data as OrderBody;
  };
  const prepay = async (target: RunningApp, buyer: SignedIn, order: OrderBody): Promise<PayParams> => {
    const paid = await call<PayParams>(target, 'POST', `/orders/${order.id}/pay`, { session: buyer });
    expect(paid.status).toBe(200);
    return paid.body.data as PayParams;
  };
  /** GET /orders/:id as the buyer's mini-program polls it (served from the order view cache). */
  const readOwn = async (target: RunningApp, buyer: SignedIn, orderId: number): Promise<OrderBody & { trackingNo?: string | null }> => {
    const read = await call<OrderBody & { trackingNo?: string | null }>(target, 'GET', `/orders/${orderId}`, { token: buyer.accessToken });
    expect(read.status).toBe(200);
    return read.body.data as OrderBody & { trackingNo?: string | null };
  };
  const eventsOf = async (orderId: number) =>
    (await db.query<{ to_status: string }>('SELECT to_status FROM order_events WHERE order_id = ? ORDER BY id', [orderId])).map((row) => row.to_status);
  const outboxCount = async (name: string, orderId: number) =>
    (await db.query('SELECT id FROM outbox_events WHERE name = ? AND payload LIKE ?', [name, `%"orderId":${orderId},%`])).length;
  const waitFor = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((done) => setTimeout(done, 200));
    }
  };

  beforeAll(async () => {
    const [port, quickPort] = [await freePort(), await freePort()];
    const env = productionEnv(db.name, {
      ...wechat.env,
      AUTH_KEY_PREFIX: `e2e:pay:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_KEY_PREFIX: `e2e:rl:pay:${randomBytes(4).toString('hex')}:`,
      RATE_LIMIT_ENABLED: 'false',
      // queues of their own: another suite's workers must never run these jobs against their database
      JOBS_PREFIX: `e2e-pay-${randomBytes(4).toString('hex')}`,
    });
    const payEnv = (notifyPort: number) => emulatorPayEnvironment({ apiBase: emulator(), notifyBaseUrl: `http://127.0.0.1:${notifyPort}` });
    app = await db.startApp({ ...env, ...payEnv(port), PORT: String(port) });
    quick = await db.startApp({ ...env, ...payEnv(quickPort), PORT: String(quickPort), ORDER_PAY_TIMEOUT_S: '3', ORDER_SWEEP_INTERVAL_S: '5' });
    const created = spawnSync(process.execPath, [resolve('dist/apps/api/src/cli/admin-create.js')], {
      env: { ...process.env, ...env, NODE_ENV: 'test', ADMIN_USERNAME: 'pay-admin', ADMIN_PASSWORD: 'correct horse battery', ADMIN_ROLE: 'admin' },
      encoding: 'utf8',
    });
    expect(created.status).toBe(0);
    const login = await call<{ accessToken: string }>(app, 'POST', '/auth/admin/login', { body: { username: 'pay-admin', password: 'correct horse battery' } });
    adminToken = (login.body.data as { accessToken: string }).accessToken;
  });

  it('runs login → order → pay → notify → PAID → ship → complete; a repeated prepay and a duplicate notify change nothing', async () => {
    const skuId = await insertSku(10, 2590);
    const buyer = await wechat.signIn(app);
    const order = await placeOrder(app, buyer, skuId, 2);

    expect((await readOwn(app, buyer, order.id)).status).toBe('PENDING_PAYMENT');
    const params = await prepay(app, buyer, order);
    expect(params).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=.+/), timeStamp: expect.stringMatching(/^\d{10}$/) });
    expect(params.paySign.length).toBeGreaterThan(300);
    // again for the same pending order: the stored prepay, not a second WeChat order
    expect((await prepay(app, buyer, order)).package).toBe(params.package);
    const stats = (await (await fetch(`${emulator()}/__control/pay-stats`)).json()) as { calls: Record<string, number> };
    expect(stats.calls.prepay).toBe(1);

    const paid = await control(`pay/${order.orderNo}`, { result: 'SUCCESS' });
    expect(paid.delivery).toMatchObject({ status: 204, responseBody: '' });
    expect(await orderRow(order.id)).toMatchObject({ status: 'PAID', paid_fen: 5180, transaction_id: expect.stringMatching(/^4200/) });
    // the buyer's next read shows it: the cached view went with the commit
    expect(await readOwn(app, buyer, order.id)).toMatchObject({ status: 'PAID', paidFen: 5180 });

    const replay = await control(`pay/${order.orderNo}/replay`);
    expect(replay.delivery?.status).toBe(204);
    expect(await outboxCount('order.paid', order.id)).toBe(1);

    const shipped = await call<OrderBody>(app, 'POST', `/admin/orders/${order.id}/ship`, { token: adminToken, body: { trackingNo: 'SF1234567890' } });
    expect(shipped.body.data).toMatchObject({ status: 'SHIPPED', trackingNo: 'SF1234567890' });
    expect(await readOwn(app, buyer, order.id)).toMatchObject({ status: 'SHIPPED', trackingNo: 'SF1234567890' });
    const completed = await call<OrderBody>(app, 'POST', `/orders/${order.id}/confirm-receipt`, { token: buyer.accessToken });
    expect(completed.body.data).toMatchObject({ status: 'COMPLETED' });
    expect(await eventsOf(order.id)).toEqual(['PENDING_PAYMENT', 'PAID', 'SHIPPED', 'COMPLETED']);
    for (const name of ['order.created', 'order.paid', 'order.shipped', 'order.completed']) expect([name, await outboxCount(name, order.id)]).toEqual([name, 1]);
    expect(await db.query("SELECT id FROM audit_logs WHERE action = 'order.ship' AND target_id = ?", [String(order.id)])).toHaveLength(1);
    expect(await stockOf(skuId)).toBe(8);
  });

  it('refuses forged notifies (4xx, never 200) and leaves the order unchanged', async () => {
    const skuId = await insertSku(10, 990);
    const buyer = await wechat.signIn(app);
    const order = await placeOrder(app, buyer, skuId);
    await prepay(app, buyer, order);
    const forgeries: Array<[string, Record<string, unknown>]> = [
      ['bad signature', { tamper: 'signature' }],
      ['body changed after signing', { tamper: 'body' }],
      ['unknown serial', { serial: 'PUB_KEY_ID_0000000000000000' }],
      ['stale timestamp', { timestampOffsetS: -400 }],
      ['SIGNTEST probe', { tamper: 'signtest' }],
      ['wrong APIv3 key', { apiV3Key: 'x'.repeat(32) }],
      ['amount mismatch', { amountTotal: 1 }],
      ['other mchid', { mchid: '1900000000' }],
      ['other appid', { appid: 'wx-someone-else' }],
    ];
    for (const [name, forged] of forgeries) {
      const sent = await control(`pay/${order.orderNo}`, { result: 'SUCCESS', ...forged });
      expect([name, sent.delivery?.status && sent.delivery.status >= 400 && sent.delivery.status < 600]).toEqual([name, true]);
      expect([name, JSON.parse(sent.delivery?.responseBody ?? '{}')]).toEqual([name, expect.objectContaining({ code: 'FAIL' })]);
      expect([name, (await orderRow(order.id)).status]).toEqual([name, 'PENDING_PAYMENT']);
    }
    const probe = await control(`pay/${order.orderNo}/signtest`);
    expect(probe.delivery?.status).toBe(401);
    expect(await eventsOf(order.id)).toEqual(['PENDING_PAYMENT']);
    // the genuine one still works afterwards
    expect((await control(`pay/${order.orderNo}`, { result: 'SUCCESS' })).delivery?.status).toBe(204);
    expect((await orderRow(order.id)).status).toBe('PAID');
  });

  it('answers a notify the parser refuses (malformed JSON, wrong media type) with a 4xx and {"code":"FAIL"}, not our envelope', async () => {
    const notify = (body: string, contentType: string) =>
      request<{ code: unknown; message: unknown }>(`${app.baseUrl}/api/v1/payments/wechat/notify`, { method: 'POST', headers: { 'content-type': contentType }, body });
    for (const [name, body, contentType, status] of [
      ['malformed JSON', '{"id":', 'application/json', 400],
      ['empty JSON body', '', 'application/json', 400],
      ['text/plain', 'hello', 'text/plain', 415],
    ] as const) {
      const answer = await notify(body, contentType);
      expect([name, answer.status, answer.body]).toEqual([name, status, { code: 'FAIL', message: expect.any(String) }]);
    }
  });

  it('keeps a payment that landed before the deadline although its notify never came: the timeout asks WeChat Pay and marks it PAID', async () => {
    const skuId = await insertSku(5, 1500);
    const buyer = await wechat.signIn(quick);
    const order = await placeOrder(quick, buyer, skuId);
    await prepay(quick, buyer, order);
    // the user paid; WeChat's notify is lost
    await control(`pay/${order.orderNo}`, { result: 'SUCCESS', notify: false });
    await waitFor(async () => (await orderRow(order.id)).status !== 'PENDING_PAYMENT');
    expect(await orderRow(order.id)).toMatchObject({ status: 'PAID', paid_fen: 1500 });
    expect(await stockOf(skuId)).toBe(4);
  });

  it('cancels an unpaid order at its deadline after closing it at WeChat Pay, and gives the stock back once', async () => {
    const skuId = await insertSku(5, 1500);
    const buyer = await wechat.signIn(quick);
    const unpaid = await placeOrder(quick, buyer, skuId, 2);
    await prepay(quick, buyer, unpaid);
    const neverPrepaid = await placeOrder(quick, buyer, skuId, 1);
    expect(await stockOf(skuId)).toBe(2);
    // read through the other instance first: its cached view must not outlive the cancel made by this one
    expect((await readOwn(app, buyer, unpaid.id)).status).toBe('PENDING_PAYMENT');
    await waitFor(async () => (await orderRow(unpaid.id)).status === 'CANCELLED' && (await orderRow(neverPrepaid.id)).status === 'CANCELLED');
    expect((await readOwn(app, buyer, unpaid.id)).status).toBe('CANCELLED');
    expect(await wechatState(unpaid.orderNo)).toBe('CLOSED');
    expect(await stockOf(skuId)).toBe(5);
    expect(await eventsOf(unpaid.id)).toEqual(['PENDING_PAYMENT', 'CANCELLED']);
    // the deadline's job was scheduled by a consumer idempotent by itself (dedupe 'none'): no "handled" record
    const handled = await db.query(
      'SELECT h.event_id FROM handled_events h JOIN outbox_events o ON o.id = h.event_id WHERE h.consumer = ? AND o.payload LIKE ?',
      ['order.schedule-pay-timeout', `%"orderId":${unpaid.id},%`],
    );
    expect(handled).toEqual([]);
    // a late pay attempt is refused
    const late = await call(quick, 'POST', `/orders/${unpaid.id}/pay`, { session: buyer });
    expect([late.status, late.body.code]).toEqual([409, 4003]);
  });

  it('settles a cancel racing a payment notify into one consistent outcome', async () => {
    const skuId = await insertSku(20, 800);
    const buyer = await wechat.signIn(app);
    for (let round = 0; round < 5; round += 1) {
      const order = await placeOrder(app, buyer, skuId);
      await prepay(app, buyer, order);
      const before = await stockOf(skuId);
      const [cancel] = await Promise.all([
        call(app, 'POST', `/orders/${order.id}/cancel`, { session: buyer }),
        control(`pay/${order.orderNo}`, { result: 'SUCCESS' }),
      ]);
      const row = await orderRow(order.id);
      if (row.status === 'PAID') {
        expect([round, cancel.status, await stockOf(skuId)]).toEqual([round, 409, before]);
      } else {
        expect([round, row.status, cancel.status, await stockOf(skuId)]).toEqual([round, 'CANCELLED', 200, before + 1]);
        // the money arrived after the close (the emulator lets a test force that): recorded once for a refund, never dropped
        if ((await wechatState(order.orderNo)) === 'SUCCESS') expect(await outboxCount('order.payment-orphaned', order.id)).toBe(1);
      }
    }
  });

  it('refunds part, then the rest, through WeChat Pay; never more than was paid; each refund applied once', async () => {
    const skuId = await insertSku(5, 3000);
    const buyer = await wechat.signIn(app);
    const order = await placeOrder(app, buyer, skuId);
    await prepay(app, buyer, order);
    await control(`pay/${order.orderNo}`, { result: 'SUCCESS' });

    const refund = (amount: number) => call<{ outRefundNo: string; status: string }>(app, 'POST', `/admin/orders/${order.id}/refund`, { token: adminToken, body: { amount, reason: '部分退款' } });
    const first = await refund(1000);
    expect(first.status).toBe(200);
    const outRefundNo = (first.body.data as { outRefundNo: string }).outRefundNo;
    expect((await orderRow(order.id)).status).toBe('REFUNDING');
    expect((await control(`refund/${outRefundNo}`, { result: 'SUCCESS' })).delivery?.status).toBe(204);
    expect(await orderRow(order.id)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fen: 1000 });
    expect((await control(`refund/${outRefundNo}/replay`)).delivery?.status).toBe(204);
    expect((await orderRow(order.id)).refunded_fen).toBe(1000);

    const tooMuch = await refund(2001);
    expect([tooMuch.status, tooMuch.body.code]).toEqual([409, 4204]);
    const rest = await refund(2000);
    await control(`refund/${(rest.body.data as { outRefundNo: string }).outRefundNo}`, { result: 'SUCCESS' });
    expect(await orderRow(order.id)).toMatchObject({ status: 'REFUNDED', refunded_fen: 3000 });
    expect(await eventsOf(order.id)).toEqual(['PENDING_PAYMENT', 'PAID', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDING', 'REFUNDED']);
    expect(await db.query("SELECT id FROM audit_logs WHERE action = 'order.refund' AND target_id = ?", [String(order.id)])).toHaveLength(2);
  });

  it('puts an order whose only refund WeChat Pay closed back to PAID, and refunds it later', async () => {
    const skuId = await insertSku(5, 700);
    const buyer = await wechat.signIn(app);
    const order = await placeOrder(app, buyer, skuId);
    await prepay(app, buyer, order);
    await control(`pay/${order.orderNo}`, { result: 'SUCCESS' });
    const refund = (amount: number) => call<{ outRefundNo: string }>(app, 'POST', `/admin/orders/${order.id}/refund`, { token: adminToken, body: { amount } });
    const first = (await refund(700)).body.data as { outRefundNo: string };
    // the same amount again while it is in flight: the same out_refund_no; another amount: 409
    expect(((await refund(700)).body.data as { outRefundNo: string }).outRefundNo).toBe(first.outRefundNo);
    expect((await refund(100)).body.code).toBe(4206);
    expect((await control(`refund/${first.outRefundNo}`, { result: 'CLOSED' })).delivery?.status).toBe(204);
    expect(await orderRow(order.id)).toMatchObject({ status: 'PAID', refunded_fen: 0 });
    const second = (await refund(700)).body.data as { outRefundNo: string };
    expect(second.outRefundNo).not.toBe(first.outRefundNo);
    await control(`refund/${second.outRefundNo}`, { result: 'SUCCESS' });
    expect(await orderRow(order.id)).toMatchObject({ status: 'REFUNDED', refunded_fen: 700 });
  });
});
