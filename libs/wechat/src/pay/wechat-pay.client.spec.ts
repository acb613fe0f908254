import { AppError } from '@app/http';
import type { DependencyBreaker } from '@app/resilience';
import { EMULATOR_PAY_PLATFORM_KEY_ID } from './emulator-pay-keys';
import { toWechatPayTime, WechatPayClient } from './wechat-pay.client';
import { loadWechatPayConfig } from './wechat-pay.config';
import { isRetryableWechatPayError, normaliseWechatPayCode, WechatPayError, WechatPayRejectedError } from './wechat-pay.errors';
import { GOLDEN_NOTIFY } from './wechat-pay.golden.fixture';

const breaker = {
  treatAsAnswer: () => undefined,
  execute: <T>(action: (signal: AbortSignal) => Promise<T>) => action(new AbortController().signal),
} as unknown as DependencyBreaker;

describe('WechatPayClient (no network)', () => {
  const client = new WechatPayClient(loadWechatPayConfig({}), breaker, { now: () => 1796540400_000 });
  const headers = { serial: EMULATOR_PAY_PLATFORM_KEY_ID, signature: GOLDEN_NOTIFY.signature, timestamp: GOLDEN_NOTIFY.timestamp, nonce: GOLDEN_NOTIFY.nonce };
  const codeOf = (run: () => unknown): number => {
    try {
      run();
    } catch (error) {
      if (error instanceof AppError) return error.code;
      throw error;
    }
    throw new Error('expected an AppError');
  };

  afterAll(() => client.close());

  it('parses the golden TRANSACTION.SUCCESS notify into the contract type', () => {
    expect(client.parseNotification(headers, Buffer.from(GOLDEN_NOTIFY.body))).toEqual({
      kind: 'transaction',
      id: 'golden-0001',
      eventType: 'TRANSACTION.SUCCESS',
      transaction: {
        appId: 'wx-emulator',
        mchId: '1900000109',
        outTradeNo: 'GOLDEN20261206001',
        transactionId: '4200000000202612060000000001',
        tradeState: 'SUCCESS',
        successTime: '2026-12-06T15:00:00+08:00',
        payerOpenId: 'oGoldenOpenid000000000000000',
        amountTotal: 2990,
      },
    });
  });

  it('maps every refusal to its payment code', () => {
    const body = Buffer.from(GOLDEN_NOTIFY.body);
    expect(codeOf(() => client.parseNotification({ ...headers, signature: `WECHATPAY/SIGNTEST/${headers.signature}` }, body))).toBe(WechatPayError.NotifySignTest.code);
    expect(codeOf(() => client.parseNotification({ ...headers, serial: 'PUB_KEY_ID_OTHER' }, body))).toBe(WechatPayError.NotifyUnknownSerial.code);
    expect(codeOf(() => client.parseNotification({ ...headers, timestamp: '1796540000' }, body))).toBe(WechatPayError.NotifyStale.code);
    expect(codeOf(() => client.parseNotification(headers, Buffer.from(GOLDEN_NOTIFY.body.replace('golden-0001', 'golden-0002'))))).toBe(
      WechatPayError.NotifySignatureInvalid.code,
    );
    expect(codeOf(() => client.parseNotification({ ...headers, signature: undefined }, body))).toBe(WechatPayError.NotifySignatureInvalid.code);
  });

  it('signs requestPayment parameters for the configured appid', () => {
    const params = client.requestPaymentParams('wx_prepay');
    expect(params).toMatchObject({ timeStamp: '1796540400', package: 'prepay_id=wx_prepay', signType: 'RSA' });
    expect(params.nonceStr).toMatch(/^[A-Z0-9]{32}$/);
  });

  it('refuses every call when payment is disabled', async () => {
    const disabled = new WechatPayClient(loadWechatPayConfig({ WECHAT_PAY_ENABLED: 'false' }), breaker);
    await expect(disabled.queryTransaction('ORDER000001')).rejects.toMatchObject({ code: WechatPayError.NotConfigured.code });
    expect(codeOf(() => disabled.parseNotification(headers, Buffer.from(GOLDEN_NOTIFY.body)))).toBe(WechatPayError.NotConfigured.code);
  });
});

describe('WeChat Pay codes and times', () => {
  it('normalises the spellings WeChat uses', () => {
    for (const spelling of ['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'ORDER_NOT_EXISTS', 'order_not_exist']) expect(normaliseWechatPayCode(spelling)).toBe('ORDER_NOT_EXIST');
    expect(normaliseWechatPayCode('RESOURCE_NOT_EXIST')).toBe('RESOURCE_NOT_EXISTS');
    expect(normaliseWechatPayCode('SYSTEMERROR')).toBe('SYSTEM_ERROR');
    expect(normaliseWechatPayCode('ORDERPAID')).toBe('ORDER_PAID');
    expect(normaliseWechatPayCode('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(normaliseWechatPayCode(undefined)).toBe('UNKNOWN');
  });

  it('tells the caller what may be retried with the same number', () => {
    expect(isRetryableWechatPayError(new WechatPayRejectedError('SYSTEM_ERROR', 500, ''))).toBe(true);
    expect(isRetryableWechatPayError(new WechatPayRejectedError('FREQUENCY_LIMITED', 429, ''))).toBe(true);
    expect(isRetryableWechatPayError(new WechatPayRejectedError('ORDER_CLOSED', 400, ''))).toBe(false);
    expect(new WechatPayRejectedError('USER_PAYING', 202, '').definition).toBe(WechatPayError.UserPaying);
    expect(new WechatPayRejectedError('PARAM_ERROR', 400, '').definition).toBe(WechatPayError.Rejected);
  });

  it('writes time_expire in China Standard Time', () => {
    expect(toWechatPayTime(new Date('2026-12-06T07:00:00.000Z'))).toBe('2026-12-06T15:00:00+08:00');
    expect(toWechatPayTime(new Date('2026-12-31T16:30:59.999Z'))).toBe('2027-01-01T00:30:59+08:00');
  });
});
