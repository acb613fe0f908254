import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter, Gauge, Registry } from 'prom-client';
// deep imports: the libraries' index files pull in Nest modules Jest cannot load (ADR 0003)
import { CircuitBreakerRegistry } from '../libs/resilience/src/circuit-breaker/circuit-breaker.registry';
import { ResilienceError } from '../libs/resilience/src/resilience.errors';
import { EMULATOR_PAY_MERCHANT_PUBLIC_KEY } from '../libs/wechat/src/pay/emulator-pay-keys';
import { WechatPayClient } from '../libs/wechat/src/pay/wechat-pay.client';
import { emulatorPayEnvironment, loadWechatPayConfig, type WechatPayConfig } from '../libs/wechat/src/pay/wechat-pay.config';
import { loadPublicKey, signatureHeadersOf, verifySha256WithRsa } from '../libs/wechat/src/pay/wechat-pay.crypto';
import { WechatPayError, WechatPayRejectedError } from '../libs/wechat/src/pay/wechat-pay.errors';
import { createWechatEmulator } from '../apps/wechat-emulator/src/emulator';
import { appErrorOf, appErrorThrownBy } from './support/app-errors';

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/**
 * The real WeChat Pay client (undici pool, `wechatpay` circuit, signed requests, verified answers,
 * retries) against the emulator's WeChat Pay over HTTP, and the emulator's signed, encrypted
 * callbacks received on a real socket and read by parseNotification.
 */
describe('WeChat Pay client against the emulator (real HTTP)', () => {
  const appId = 'wx-pay-e2e';
  const emulator = createWechatEmulator({ appId });
  const received: Received[] = [];
  let receiverStatus = 204;
  const receiver: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, raw: Buffer.concat(chunks) });
      response.statusCode = receiverStatus;
      response.end();
    });
  });
  let baseUrl: string;
  let notifyUrl: string;
  let breakers: CircuitBreakerRegistry;
  const clients: WechatPayClient[] = [];

  const payConfig = (overrides: Record<string, string> = {}): WechatPayConfig =>
    loadWechatPayConfig({
      // the production profile as the e2e suite runs it (NODE_ENV=test admits the emulator dev keys)
      NODE_ENV: 'test',
      DB_HOST: '127.0.0.1',
      WECHAT_APP_ID: appId,
      WECHAT_PAY_TIMEOUT_MS: '500',
      ...emulatorPayEnvironment({ apiBase: baseUrl, notifyBaseUrl: notifyUrl }),
      ...overrides,
    });
  const newClient = (overrides: Record<string, string> = {}): WechatPayClient => {
    const config = payConfig(overrides);
    // as WechatPayModule wires it: WECHAT_PAY_TIMEOUT_MS is the circuit's call timeout
    const client = new WechatPayClient(config, breakers.for('wechatpay', { timeoutMs: config.timeoutMs }), { rateLimitBackoffMs: 20 });
    clients.push(client);
    return client;
  };
  const control = async <T = Record<string, unknown>>(path: string, body: unknown = {}, expected = 200): Promise<T> => {
    const response = await fetch(`${baseUrl}/__control/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(expected);
    return (await response.json()) as T;
  };
  const stats = async () => ((await (await fetch(`${baseUrl}/__control/pay-stats`)).json()) as { calls: Record<string, number> }).calls;
  const newOrderNo = () => `E2E${Date.now()}${randomBytes(3).toString('hex')}`;
  const prepay = (client: WechatPayClient, outTradeNo: string, amountFen = 2990) =>
    client.prepayJsapi({
      outTradeNo,
      description: '测试商品 e2e',
      amountFen,
      payerOpenId: 'o-e2e-payer',
      notifyUrl,
      timeExpire: new Date(Date.now() + 15 * 60_000),
    });
  const lastNotify = () => {
    const last = received.at(-1)!;
    return { headers: signatureHeadersOf(last.headers), raw: last.raw };
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await emulator.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(emulator.app.server.address() as { port: number }).port}`;
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    notifyUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/v1/payments/wechat/notify`;
  });

  beforeEach(async () => {
    const metrics = new Registry();
    breakers = new CircuitBreakerRegistry(
      new ConfigService({
        circuitBreaker: { timeoutMs: 800, errorThresholdPercent: 50, volumeThreshold: 20, resetTimeoutMs: 200, rollingWindowMs: 10_000, consecutiveFailures: 10 },
      }),
      {
        state: new Gauge({ name: 'circuit_state', help: 'h', labelNames: ['name'], registers: [metrics] }),
        calls: new Counter({ name: 'circuit_calls_total', help: 'h', labelNames: ['name', 'result'], registers: [metrics] }),
      },
    );
    await control('pay-reset');
    received.length = 0;
    receiverStatus = 204;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    breakers.onApplicationShutdown();
  });

  afterAll(async () => {
    await emulator.app.close();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('prepays, queries and signs wx.requestPayment parameters the merchant public key verifies', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    const { prepayId } = await prepay(client, outTradeNo);
    expect(prepayId).toMatch(/^wx/);

    const params = client.requestPaymentParams(prepayId);
    expect(params).toMatchObject({ package: `prepay_id=${prepayId}`, signType: 'RSA' });
    const message = `${appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(verifySha256WithRsa(message, params.paySign, loadPublicKey(EMULATOR_PAY_MERCHANT_PUBLIC_KEY))).toBe(true);
    expect(verifySha256WithRsa(message.replace(appId, 'wx-other'), params.paySign, loadPublicKey(EMULATOR_PAY_MERCHANT_PUBLIC_KEY))).toBe(false);

    await expect(client.queryTransaction(outTradeNo)).resolves.toEqual({ appId, mchId: client.merchant.mchId, outTradeNo, tradeState: 'NOTPAY', payerOpenId: 'o-e2e-payer', amountTotal: 2990 });
    await expect(client.queryTransaction('E2E-NEVER-PREPAID')).resolves.toBeNull();
  });

  it('returns the same prepay_id for exactly the same request, and refuses other parameters for the number', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    const input = { outTradeNo, description: 'same', amountFen: 100, payerOpenId: 'o-e2e', notifyUrl, timeExpire: new Date(Date.now() + 600_000) };
    const first = await client.prepayJsapi(input);
    await expect(client.prepayJsapi(input)).resolves.toEqual(first);
    const error = await appErrorOf(client.prepayJsapi({ ...input, amountFen: 101 }));
    expect(error).toBeInstanceOf(WechatPayRejectedError);
    expect(error.definition).toBe(WechatPayError.OutTradeNoUsed);
  });

  it('verifies and decrypts the TRANSACTION.SUCCESS notify the emulator sends, and its byte-identical replay', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await prepay(client, outTradeNo);
    const paid = await control<{ delivery: { status: number } }>(`pay/${outTradeNo}`, { result: 'SUCCESS' });
    expect(paid.delivery.status).toBe(204);
    const first = lastNotify();
    const notification = client.parseNotification(first.headers, first.raw);
    expect(notification).toMatchObject({ kind: 'transaction', eventType: 'TRANSACTION.SUCCESS' });
    const { transaction } = notification as Extract<typeof notification, { kind: 'transaction' }>;
    expect(transaction).toMatchObject({ appId, mchId: client.merchant.mchId, outTradeNo, tradeState: 'SUCCESS', amountTotal: 2990, payerOpenId: 'o-e2e-payer' });
    expect(transaction.transactionId).toMatch(/^4200\d{24}$/);
    await expect(client.queryTransaction(outTradeNo)).resolves.toMatchObject({ tradeState: 'SUCCESS', transactionId: transaction.transactionId });

    await control(`pay/${outTradeNo}/replay`);
    expect(received).toHaveLength(2);
    expect(received[1].raw.equals(received[0].raw)).toBe(true);
    expect(client.parseNotification(lastNotify().headers, lastNotify().raw)).toEqual(notification);
    // re-serialised (what a JSON body parser hands a controller) it no longer verifies
    const pretty = Buffer.from(JSON.stringify(JSON.parse(first.raw.toString()), null, 1), 'utf8');
    expect(appErrorThrownBy(() => client.parseNotification(first.headers, pretty)).definition).toBe(WechatPayError.NotifySignatureInvalid);
  });

  it('refuses forged and probe callbacks, and hands a signed one with a forged amount or mchid to the caller to compare', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await prepay(client, outTradeNo);
    const cases: Array<[Record<string, unknown>, (typeof WechatPayError)[keyof typeof WechatPayError]]> = [
      [{ tamper: 'body' }, WechatPayError.NotifySignatureInvalid],
      [{ tamper: 'signature' }, WechatPayError.NotifySignatureInvalid],
      [{ serial: 'PUB_KEY_ID_0000000000000000000000000000000000' }, WechatPayError.NotifyUnknownSerial],
      [{ timestampOffsetS: -301 }, WechatPayError.NotifyStale],
      [{ timestampOffsetS: 400 }, WechatPayError.NotifyStale],
      [{ apiV3Key: 'another-32-byte-apiv3-key-000000' }, WechatPayError.NotifyUndecryptable],
    ];
    for (const [forgery, expected] of cases) {
      await control(`pay/${outTradeNo}`, { result: 'SUCCESS', ...forgery });
      expect(appErrorThrownBy(() => client.parseNotification(lastNotify().headers, lastNotify().raw)).definition).toBe(expected);
    }
    await control(`pay/${outTradeNo}/signtest`);
    expect(lastNotify().headers.signature).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(appErrorThrownBy(() => client.parseNotification(lastNotify().headers, lastNotify().raw)).definition).toBe(WechatPayError.NotifySignTest);

    // correctly signed by the platform, but not our order's content: the order feature must compare
    await control(`pay/${outTradeNo}`, { result: 'SUCCESS', amountTotal: 1, mchid: '1900009999' });
    const forged = client.parseNotification(lastNotify().headers, lastNotify().raw);
    expect(forged).toMatchObject({ kind: 'transaction', transaction: { outTradeNo, amountTotal: 1, mchId: '1900009999' } });
  });

  it('closes an unpaid order (204), then ORDER_CLOSED; USER_PAYING comes back as its own 409', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await prepay(client, outTradeNo);
    await expect(client.closeTransaction(outTradeNo)).resolves.toBeUndefined();
    await expect(client.queryTransaction(outTradeNo)).resolves.toMatchObject({ tradeState: 'CLOSED' });
    const closed = await appErrorOf(client.closeTransaction(outTradeNo));
    expect(closed).toMatchObject({ wechatCode: 'ORDER_CLOSED', definition: WechatPayError.OrderClosed });
    expect((await appErrorOf(prepay(client, outTradeNo))).definition).toBe(WechatPayError.OrderClosed);

    const paying = newOrderNo();
    await prepay(client, paying);
    await control(`pay/${paying}`, { result: 'USERPAYING' });
    const userPaying = await appErrorOf(client.closeTransaction(paying));
    expect(userPaying).toMatchObject({ wechatCode: 'USER_PAYING', httpStatus: 202, definition: WechatPayError.UserPaying, status: 409 });
    expect(await appErrorOf(client.closeTransaction('E2E-NEVER-PREPAID'))).toMatchObject({ wechatCode: 'ORDER_NOT_EXIST', httpStatus: 404 });
  });

  it('refunds (idempotent by out_refund_no, the sum capped at the total) and reads the REFUND.SUCCESS notify', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await prepay(client, outTradeNo, 1000);
    await control(`pay/${outTradeNo}`, { result: 'SUCCESS' });
    const input = { outTradeNo, outRefundNo: `${outTradeNo}-R1`, refundFen: 600, totalFen: 1000, reason: '不想要了', notifyUrl };
    const refund = await client.refund(input);
    expect(refund).toMatchObject({ outTradeNo, outRefundNo: input.outRefundNo, status: 'PROCESSING', refundFen: 600, totalFen: 1000 });
    await expect(client.refund(input)).resolves.toEqual(refund);
    const tooMuch = await appErrorOf(client.refund({ ...input, outRefundNo: `${outTradeNo}-R2`, refundFen: 401 }));
    expect(tooMuch).toMatchObject({ wechatCode: 'INVALID_REQUEST', definition: WechatPayError.Rejected });
    await expect(client.queryRefund(input.outRefundNo)).resolves.toEqual(refund);
    await expect(client.queryRefund('E2E-NO-SUCH-REFUND')).resolves.toBeNull();

    received.length = 0;
    await control(`refund/${input.outRefundNo}`, { result: 'SUCCESS' });
    const notification = client.parseNotification(lastNotify().headers, lastNotify().raw);
    expect(notification).toMatchObject({
      kind: 'refund',
      eventType: 'REFUND.SUCCESS',
      refund: { outTradeNo, outRefundNo: input.outRefundNo, refundId: refund.refundId, status: 'SUCCESS', refundFen: 600, totalFen: 1000, mchId: client.merchant.mchId },
    });
    await expect(client.queryRefund(input.outRefundNo)).resolves.toMatchObject({ status: 'SUCCESS' });
  });

  it('rejects an answer whose signature does not verify (502, 4511), and is not fooled into retrying it', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await prepay(client, outTradeNo);
    await control('pay-faults', { endpoint: 'query', mode: 'bad_signature', times: 1 });
    const before = (await stats()).query ?? 0;
    const error = await appErrorOf(client.queryTransaction(outTradeNo));
    expect(error.definition).toBe(WechatPayError.BadResponseSignature);
    expect(error.status).toBe(502);
    expect((await stats()).query).toBe(before + 1);
  });

  it('retries a 500 SYSTEM_ERROR prepay with the same out_trade_no after a query: one order at WeChat', async () => {
    const client = newClient();
    const outTradeNo = newOrderNo();
    await control('pay-faults', { endpoint: 'prepay', mode: 'error', times: 1 });
    const { prepayId } = await prepay(client, outTradeNo);
    expect(await stats()).toMatchObject({ prepay: 2, query: 1 });
    // the emulator saw one out_trade_no, the same in both calls: the second got the order the retry made
    const order = (await (await fetch(`${baseUrl}/__control/pay/${outTradeNo}`)).json()) as { transaction: { out_trade_no: string } };
    expect(order.transaction.out_trade_no).toBe(outTradeNo);
    expect(prepayId).toMatch(/^wx/);

    // 429 backs off and tries again; a refund's 500 is followed by a refund query, then the same out_refund_no
    await control('pay-faults', { endpoint: 'query', mode: 'rate_limit', times: 1 });
    await expect(client.queryTransaction(outTradeNo)).resolves.toMatchObject({ tradeState: 'NOTPAY' });
    await control(`pay/${outTradeNo}`, { result: 'SUCCESS' });
    await control('pay-faults', { endpoint: 'refund', mode: 'error', times: 1 });
    const refund = await client.refund({ outTradeNo, outRefundNo: `${outTradeNo}-R`, refundFen: 100, totalFen: 2990, notifyUrl });
    expect(refund.status).toBe('PROCESSING');
    expect(await stats()).toMatchObject({ refund: 2, 'refund-query': 1 });
  });

  it('gives up on a WeChat Pay that does not answer with the breaker timeout (504, 7002)', async () => {
    const client = newClient();
    await control('pay-faults', { endpoint: 'query', mode: 'hang', times: 3, delayMs: 5000 });
    const started = Date.now();
    const error = await appErrorOf(client.queryTransaction(newOrderNo()));
    expect(error.definition).toBe(ResilienceError.DependencyTimeout);
    expect(error.status).toBe(504);
    // three attempts of 500 ms (the first and two retries), not the emulator's 5 s
    expect(Date.now() - started).toBeLessThan(4000);
    expect((await stats()).query).toBe(3);
  });

  it("is refused by the emulator (401 SIGN_ERROR → 503, 4510) when it signs with a key that is not the merchant's", async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const client = newClient({ WECHAT_PAY_PRIVATE_KEY: other });
    const error = await appErrorOf(prepay(client, newOrderNo()));
    expect(error).toMatchObject({ wechatCode: 'SIGN_ERROR', httpStatus: 401, definition: WechatPayError.Misconfigured });
  });

  it('pays in the embedded profile with nothing configured: the emulator as the API starts it, its dev keys on both sides', async () => {
    const embedded = createWechatEmulator();
    await embedded.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(embedded.app.server.address() as { port: number }).port}`;
      // what startEmbeddedWechatEmulator leaves in the environment: WECHAT_API_BASE, WECHAT_PAY_API_BASE
      const config = loadWechatPayConfig({ WECHAT_API_BASE: url, WECHAT_PAY_API_BASE: url });
      expect(config).toMatchObject({ enabled: true, usingEmulatorKeys: true, appId: 'wx-emulator' });
      const client = new WechatPayClient(config, breakers.for('wechatpay', { timeoutMs: config.timeoutMs }));
      clients.push(client);
      const outTradeNo = newOrderNo();
      await expect(prepay(client, outTradeNo)).resolves.toEqual({ prepayId: expect.stringMatching(/^wx/) });
      await fetch(`${url}/__control/pay/${outTradeNo}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ result: 'SUCCESS' }) });
      expect(client.parseNotification(lastNotify().headers, lastNotify().raw)).toMatchObject({ transaction: { outTradeNo, tradeState: 'SUCCESS', appId: 'wx-emulator' } });
      await expect(client.queryTransaction(outTradeNo)).resolves.toMatchObject({ tradeState: 'SUCCESS' });
    } finally {
      await embedded.app.close();
    }
  });
});
