import { MAX_REFUNDS_PER_ORDER, type PayError, PayEmulatorState, type PayOrder, type PayRefundRecord, UNPAID_ORDER_LIFETIME_MS } from './pay-state';

const MCH = '1900000109';

describe('PayEmulatorState (WeChat Pay rules the emulator plays)', () => {
  let clock = Date.parse('2026-12-06T07:00:00Z');
  const state = new PayEmulatorState(() => clock);
  const prepayRequest = (outTradeNo: string, overrides: Record<string, unknown> = {}) => ({
    appid: 'wx-emulator',
    mchid: MCH,
    description: 'Tea',
    out_trade_no: outTradeNo,
    notify_url: 'http://127.0.0.1:3000/api/v1/payments/wechat/notify',
    amount: { total: 1000, currency: 'CNY' },
    payer: { openid: 'o-user' },
    ...overrides,
  });
  const ok = <T>(value: T | PayError): T => {
    expect(value).not.toHaveProperty('code');
    return value as T;
  };
  const code = (value: unknown) => (value as PayError).code;
  const paid = (outTradeNo: string, total = 1000) => {
    ok(state.prepay(prepayRequest(outTradeNo, { amount: { total } }), { mchid: MCH }));
    return ok<PayOrder>(state.setResult(outTradeNo, 'SUCCESS'));
  };

  beforeEach(() => {
    state.reset();
    clock = Date.parse('2026-12-06T07:00:00Z');
  });

  it('answers the same prepay_id for the same parameters, OUT_TRADE_NO_USED for others', () => {
    const first = ok(state.prepay(prepayRequest('ORDER000001'), { mchid: MCH }));
    expect(ok(state.prepay(prepayRequest('ORDER000001'), { mchid: MCH }))).toEqual(first);
    expect(code(state.prepay(prepayRequest('ORDER000001', { amount: { total: 999 } }), { mchid: MCH }))).toBe('OUT_TRADE_NO_USED');
    expect(code(state.prepay(prepayRequest('ORD1'), { mchid: MCH }))).toBe('PARAM_ERROR');
    expect(code(state.prepay(prepayRequest('ORDER000002', { mchid: '1900000999' }), { mchid: MCH }))).toBe('APPID_MCHID_NOT_MATCH');
    expect(code(state.prepay(prepayRequest('ORDER000003', { description: 'x'.repeat(128) }), { mchid: MCH }))).toBe('PARAM_ERROR');
    state.setResult('ORDER000001', 'SUCCESS');
    expect(code(state.prepay(prepayRequest('ORDER000001'), { mchid: MCH }))).toBe('ORDERPAID');
  });

  it('honours time_expire: unpaid past it, the order is closed; a past time_expire is refused', () => {
    ok(state.prepay(prepayRequest('ORDER000010', { time_expire: '2026-12-06T15:15:00+08:00' }), { mchid: MCH }));
    expect(ok<PayOrder>(state.query('ORDER000010', MCH, MCH)).state).toBe('NOTPAY');
    clock += 15 * 60_000;
    expect(ok<PayOrder>(state.query('ORDER000010', MCH, MCH)).state).toBe('CLOSED');
    expect(code(state.prepay(prepayRequest('ORDER000010', { time_expire: '2026-12-06T15:15:00+08:00' }), { mchid: MCH }))).toBe('PARAM_ERROR');
    expect(code(state.prepay(prepayRequest('ORDER000011', { time_expire: '2026-12-06T14:00:00+08:00' }), { mchid: MCH }))).toBe('PARAM_ERROR');
    expect(code(state.prepay(prepayRequest('ORDER000012', { time_expire: '2026-12-06 16:00:00' }), { mchid: MCH }))).toBe('PARAM_ERROR');
    // without time_expire an unpaid order lives 7 days
    ok(state.prepay(prepayRequest('ORDER000013'), { mchid: MCH }));
    clock += UNPAID_ORDER_LIFETIME_MS - 1;
    expect(ok<PayOrder>(state.query('ORDER000013', MCH, MCH)).state).toBe('NOTPAY');
  });

  it('closes: 204 once, then ORDER_CLOSED; USER_PAYING with 202; a paid order is not closed', () => {
    expect(code(state.close('ORDER000020', MCH, MCH))).toBe('ORDER_NOT_EXIST');
    ok(state.prepay(prepayRequest('ORDER000020'), { mchid: MCH }));
    expect(state.close('ORDER000020', MCH, MCH)).toBeNull();
    expect(state.close('ORDER000020', MCH, MCH)).toMatchObject({ status: 400, code: 'ORDER_CLOSED' });
    ok(state.prepay(prepayRequest('ORDER000021'), { mchid: MCH }));
    state.setResult('ORDER000021', 'USERPAYING');
    expect(state.close('ORDER000021', MCH, MCH)).toMatchObject({ status: 202, code: 'USER_PAYING' });
    paid('ORDER000022');
    expect(code(state.close('ORDER000022', MCH, MCH))).toBe('ORDERPAID');
    expect(code(state.query('ORDER000022', 'other', MCH))).toBe('PARAM_ERROR');
  });

  it('refunds: only paid orders, idempotent by out_refund_no, the sum never above the total', () => {
    ok(state.prepay(prepayRequest('ORDER000030'), { mchid: MCH }));
    const refund = (outRefundNo: string, amount: number, outTradeNo = 'ORDER000030') =>
      state.refund({ out_trade_no: outTradeNo, out_refund_no: outRefundNo, amount: { refund: amount, total: 1000, currency: 'CNY' } });
    expect(code(refund('R-1', 100))).toBe('INVALID_REQUEST');
    state.setResult('ORDER000030', 'SUCCESS');
    const first = ok<PayRefundRecord>(refund('R-1', 600));
    expect(first.status).toBe('PROCESSING');
    expect(ok(refund('R-1', 600))).toBe(first);
    expect(code(refund('R-1', 500))).toBe('INVALID_REQUEST');
    expect(code(refund('R-2', 401))).toBe('INVALID_REQUEST');
    ok(refund('R-2', 400));
    expect(code(refund('R-3', 1))).toBe('INVALID_REQUEST');
    expect(ok<PayOrder>(state.query('ORDER000030', MCH, MCH)).state).toBe('REFUND');
    // a CLOSED refund gives its amount back
    ok(state.completeRefund('R-2', 'CLOSED'));
    ok(refund('R-3', 400));
    expect(code(state.completeRefund('R-2', 'SUCCESS'))).toBe('INVALID_REQUEST');
    expect(ok<PayRefundRecord>(state.completeRefund('R-1', 'SUCCESS')).successTime).toBe('2026-12-06T15:00:00+08:00');
    expect(code(state.queryRefund('R-404'))).toBe('RESOURCE_NOT_EXISTS');
    expect(code(refund('R-9', 1, 'ORDER999999'))).toBe('RESOURCE_NOT_EXISTS');
    expect(code(state.refund({ out_trade_no: 'ORDER000030', out_refund_no: 'R-8', amount: { refund: 1, total: 999 } }))).toBe('PARAM_ERROR');
  });

  it(`allows at most ${MAX_REFUNDS_PER_ORDER} refunds of an order`, () => {
    paid('ORDER000040', 100);
    for (let i = 0; i < MAX_REFUNDS_PER_ORDER; i += 1) {
      ok(state.refund({ out_trade_no: 'ORDER000040', out_refund_no: `R40-${i}`, amount: { refund: 1, total: 100 } }));
    }
    expect(code(state.refund({ out_trade_no: 'ORDER000040', out_refund_no: 'R40-50', amount: { refund: 1, total: 100 } }))).toBe('INVALID_REQUEST');
  });

  it('finds the order of a refund by transaction_id too', () => {
    const order = paid('ORDER000050');
    const record = ok<PayRefundRecord>(state.refund({ transaction_id: order.transactionId, out_refund_no: 'R50', amount: { refund: 10, total: 1000 } }));
    expect(record.outTradeNo).toBe('ORDER000050');
  });
});
