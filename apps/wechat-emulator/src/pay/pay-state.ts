import { randomBytes } from 'node:crypto';

/** A WeChat Pay v3 error answer: the HTTP status and `{ code, message }`. */
export interface PayError {
  status: number;
  code: string;
  message: string;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
export type RefundStatus = 'SUCCESS' | 'PROCESSING' | 'CLOSED' | 'ABNORMAL';

export interface JsapiPrepayRequest {
  appid?: unknown;
  mchid?: unknown;
  description?: unknown;
  out_trade_no?: unknown;
  time_expire?: unknown;
  attach?: unknown;
  notify_url?: unknown;
  amount?: { total?: unknown; currency?: unknown };
  payer?: { openid?: unknown };
}

export interface RefundRequest {
  out_trade_no?: unknown;
  transaction_id?: unknown;
  out_refund_no?: unknown;
  reason?: unknown;
  notify_url?: unknown;
  amount?: { refund?: unknown; total?: unknown; currency?: unknown };
}

export interface PayOrder {
  appid: string;
  mchid: string;
  outTradeNo: string;
  description: string;
  attach: string;
  notifyUrl: string;
  total: number;
  openid: string;
  /** ms since the epoch; WeChat stops accepting payment then (7 days without time_expire). */
  expiresAt: number;
  prepayId: string;
  /** The prepay parameters, so the same ones again return the same prepay_id and others OUT_TRADE_NO_USED. */
  prepayKey: string;
  state: TradeState;
  transactionId?: string;
  successTime?: string;
  refunds: string[];
}

export interface PayRefundRecord {
  outRefundNo: string;
  refundId: string;
  outTradeNo: string;
  transactionId: string;
  reason: string;
  notifyUrl: string;
  refund: number;
  total: number;
  status: RefundStatus;
  createTime: string;
  successTime?: string;
  requestKey: string;
}

/** WeChat Pay's limits, as its documentation states them. */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
export const MAX_REFUNDS_PER_ORDER = 50;
export const UNPAID_ORDER_LIFETIME_MS = 7 * 24 * 3600_000;

const payError = (status: number, code: string, message: string): PayError => ({ status, code, message });
const isPayError = (value: unknown): value is PayError => typeof value === 'object' && value !== null && 'code' in value && 'status' in value;
export { isPayError };

/** RFC 3339 in China Standard Time, as WeChat Pay writes times. */
export function wechatTime(ms: number): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

const digits = (length: number): string => {
  let text = '';
  for (const byte of randomBytes(length)) text += String(byte % 10);
  return text;
};

/**
 * The emulator's WeChat Pay memory and rules (one merchant): JSAPI orders by out_trade_no, their
 * state machine, refunds by out_refund_no. The clock is injectable for the expiry rules' tests.
 */
export class PayEmulatorState {
  readonly orders = new Map<string, PayOrder>();
  readonly refunds = new Map<string, PayRefundRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  prepay(request: JsapiPrepayRequest, expected: { appid?: string; mchid: string }): { prepayId: string } | PayError {
    const { appid, mchid, description, out_trade_no: outTradeNo, notify_url: notifyUrl } = request;
    const total = request.amount?.total;
    const openid = request.payer?.openid;
    if (typeof appid !== 'string' || typeof mchid !== 'string' || appid === '') return payError(400, 'PARAM_ERROR', 'appid and mchid are required');
    if (mchid !== expected.mchid || (expected.appid && appid !== expected.appid)) return payError(400, 'APPID_MCHID_NOT_MATCH', 'appid and mchid do not match');
    if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO.test(outTradeNo)) return payError(400, 'PARAM_ERROR', 'out_trade_no must be 6-32 of [0-9A-Za-z_-|*]');
    if (typeof description !== 'string' || description === '' || [...description].length > 127) {
      return payError(400, 'PARAM_ERROR', 'description is required, at most 127 characters');
    }
    if (request.attach !== undefined && (typeof request.attach !== 'string' || [...request.attach].length > 128)) {
      return payError(400, 'PARAM_ERROR', 'attach is at most 128 characters');
    }
    if (typeof notifyUrl !== 'string' || !/^https?:\/\//.test(notifyUrl)) return payError(400, 'PARAM_ERROR', 'notify_url must be an http(s) URL');
    if (typeof total !== 'number' || !Number.isInteger(total) || total < 1) return payError(400, 'PARAM_ERROR', 'amount.total must be a positive integer (fen)');
    if ((request.amount?.currency ?? 'CNY') !== 'CNY') return payError(400, 'PARAM_ERROR', 'amount.currency must be CNY');
    if (typeof openid !== 'string' || openid === '') return payError(400, 'PARAM_ERROR', 'payer.openid is required');
    let expiresAt = this.now() + UNPAID_ORDER_LIFETIME_MS;
    if (request.time_expire !== undefined) {
      const parsed = typeof request.time_expire === 'string' ? Date.parse(request.time_expire) : Number.NaN;
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)$/.test(String(request.time_expire)) || Number.isNaN(parsed)) {
        return payError(400, 'PARAM_ERROR', 'time_expire must be RFC 3339 with an offset');
      }
      if (parsed <= this.now()) return payError(400, 'PARAM_ERROR', 'time_expire is in the past');
      expiresAt = parsed;
    }
    const prepayKey = JSON.stringify([appid, mchid, description, request.attach ?? '', notifyUrl, total, openid, request.time_expire ?? null]);
    const existing = this.order(outTradeNo);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') return payError(400, 'ORDERPAID', 'the order is paid');
      if (existing.state === 'CLOSED' || existing.state === 'REVOKED') return payError(400, 'ORDER_CLOSED', 'the order is closed');
      if (existing.prepayKey !== prepayKey) return payError(400, 'OUT_TRADE_NO_USED', 'out_trade_no was used with other parameters');
      return { prepayId: existing.prepayId };
    }
    const order: PayOrder = {
      appid,
      mchid,
      outTradeNo,
      description,
      attach: typeof request.attach === 'string' ? request.attach : '',
      notifyUrl,
      total,
      openid,
      expiresAt,
      prepayId: `wx${digits(14)}${randomBytes(8).toString('hex')}`,
      prepayKey,
      state: 'NOTPAY',
      refunds: [],
    };
    this.orders.set(outTradeNo, order);
    return { prepayId: order.prepayId };
  }

  /** The order, with an unpaid one past its time_expire closed first (as WeChat does). */
  order(outTradeNo: string): PayOrder | undefined {
    const order = this.orders.get(outTradeNo);
    if (order && (order.state === 'NOTPAY' || order.state === 'PAYERROR') && order.expiresAt <= this.now()) order.state = 'CLOSED';
    return order;
  }

  query(outTradeNo: string, mchid: unknown, expectedMchid: string): PayOrder | PayError {
    if (mchid !== expectedMchid) return payError(400, 'PARAM_ERROR', 'mchid is missing or not ours');
    return this.order(outTradeNo) ?? payError(404, 'ORDER_NOT_EXIST', 'the order does not exist');
  }

  /** 204 (null), 202 USER_PAYING while the user pays, else an error. */
  close(outTradeNo: string, mchid: unknown, expectedMchid: string): null | PayError {
    if (mchid !== expectedMchid) return payError(400, 'PARAM_ERROR', 'mchid is missing or not ours');
    const order = this.order(outTradeNo);
    if (!order) return payError(404, 'ORDER_NOT_EXIST', 'the order does not exist');
    switch (order.state) {
      case 'SUCCESS':
      case 'REFUND':
        return payError(400, 'ORDERPAID', 'the order is paid');
      case 'CLOSED':
      case 'REVOKED':
        return payError(400, 'ORDER_CLOSED', 'the order is already closed');
      case 'USERPAYING':
        return payError(202, 'USER_PAYING', 'the user is paying: query again in a few seconds');
      default:
        order.state = 'CLOSED';
        return null;
    }
  }

  /** The control API's "the user did this": moves the order to `state` (SUCCESS gets a transaction id). */
  setResult(outTradeNo: string, state: TradeState): PayOrder | PayError {
    const order = this.orders.get(outTradeNo);
    if (!order) return payError(404, 'ORDER_NOT_EXIST', 'no prepay for this out_trade_no');
    order.state = state;
    if ((state === 'SUCCESS' || state === 'REFUND') && !order.transactionId) {
      order.transactionId = `4200${digits(24)}`;
      order.successTime = wechatTime(this.now());
    }
    return order;
  }

  refund(request: RefundRequest): PayRefundRecord | PayError {
    const outRefundNo = request.out_refund_no;
    if (typeof outRefundNo !== 'string' || outRefundNo === '' || outRefundNo.length > 64) return payError(400, 'PARAM_ERROR', 'out_refund_no is required (≤ 64)');
    const refundFen = request.amount?.refund;
    const totalFen = request.amount?.total;
    if (typeof refundFen !== 'number' || !Number.isInteger(refundFen) || refundFen < 1 || typeof totalFen !== 'number') {
      return payError(400, 'PARAM_ERROR', 'amount.refund and amount.total must be positive integers (fen)');
    }
    const order =
      typeof request.out_trade_no === 'string'
        ? this.order(request.out_trade_no)
        : [...this.orders.values()].find((candidate) => candidate.transactionId !== undefined && candidate.transactionId === request.transaction_id);
    if (!order) return payError(404, 'RESOURCE_NOT_EXISTS', 'the order does not exist');
    const requestKey = JSON.stringify([order.outTradeNo, refundFen, totalFen]);
    const existing = this.refunds.get(outRefundNo);
    if (existing) {
      // the same out_refund_no again is the same refund (a retry); other amounts are a mistake
      if (existing.requestKey !== requestKey) return payError(400, 'INVALID_REQUEST', 'out_refund_no was used with other parameters');
      return existing;
    }
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND') return payError(400, 'INVALID_REQUEST', 'the order is not paid');
    if (totalFen !== order.total) return payError(400, 'PARAM_ERROR', 'amount.total is not the order total');
    if (order.refunds.length >= MAX_REFUNDS_PER_ORDER) return payError(400, 'INVALID_REQUEST', `at most ${MAX_REFUNDS_PER_ORDER} refunds per order`);
    if (this.refundedOf(order) + refundFen > order.total) return payError(400, 'INVALID_REQUEST', 'the refunds would exceed the amount paid');
    const record: PayRefundRecord = {
      outRefundNo,
      refundId: `5030${digits(25)}`,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? '',
      reason: typeof request.reason === 'string' ? request.reason : '',
      notifyUrl: typeof request.notify_url === 'string' ? request.notify_url : '',
      refund: refundFen,
      total: totalFen,
      status: 'PROCESSING',
      createTime: wechatTime(this.now()),
      requestKey,
    };
    this.refunds.set(outRefundNo, record);
    order.refunds.push(outRefundNo);
    order.state = 'REFUND';
    return record;
  }

  queryRefund(outRefundNo: string): PayRefundRecord | PayError {
    return this.refunds.get(outRefundNo) ?? payError(404, 'RESOURCE_NOT_EXISTS', 'the refund does not exist');
  }

  /** The control API's "the bank answered": a PROCESSING refund ends SUCCESS, ABNORMAL or CLOSED (its amount is released). */
  completeRefund(outRefundNo: string, status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED'): PayRefundRecord | PayError {
    const record = this.refunds.get(outRefundNo);
    if (!record) return payError(404, 'RESOURCE_NOT_EXISTS', 'the refund does not exist');
    if (record.status === 'SUCCESS' || record.status === 'CLOSED') return payError(400, 'INVALID_REQUEST', `the refund is already ${record.status}`);
    record.status = status;
    if (status === 'SUCCESS') record.successTime = wechatTime(this.now());
    return record;
  }

  /** Fen refunded or being refunded: every refund but the CLOSED ones. */
  refundedOf(order: PayOrder): number {
    return order.refunds.reduce((sum, no) => {
      const record = this.refunds.get(no);
      return record && record.status !== 'CLOSED' ? sum + record.refund : sum;
    }, 0);
  }

  reset(): void {
    this.orders.clear();
    this.refunds.clear();
  }
}
