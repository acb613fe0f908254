import { createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  EMULATOR_PAY_APIV3_KEY,
  EMULATOR_PAY_MCH_ID,
  EMULATOR_PAY_MERCHANT_PRIVATE_KEY,
  EMULATOR_PAY_MERCHANT_SERIAL,
  EMULATOR_PAY_PLATFORM_KEY_ID,
} from '@app/wechat/pay/emulator-pay-keys';
import { loadPublicKey, parseAuthorization, requestSignatureMessage, verifySha256WithRsa } from '@app/wechat/pay/wechat-pay.crypto';
import { EMULATOR_PAY_PLATFORM_PRIVATE_KEY } from './emulator-platform-key';
import { buildNotify, type BuiltNotify, type Delivery, deliverNotify, type NotifyTampering, platformSigner, signedHeaders } from './pay-notify';
import {
  isPayError,
  type JsapiPrepayRequest,
  type PayError,
  PayEmulatorState,
  type PayOrder,
  type PayRefundRecord,
  type RefundRequest,
  type TradeState,
} from './pay-state';

export interface PayEmulatorOptions {
  /** The merchant the emulator serves; defaults: the dev keys of libs/wechat/src/pay/emulator-pay-keys.ts. */
  mchId?: string;
  merchantSerial?: string;
  /** PEM of the merchant public key that request signatures are verified with. */
  merchantPublicKey?: string;
  /** When set, prepay's appid must be this one. */
  appId?: string;
  platformSerial?: string;
  platformPrivateKey?: string;
  apiV3Key?: string;
}

export type PayEndpoint = 'prepay' | 'query' | 'close' | 'refund' | 'refund-query';

/** Makes the next `times` calls of an endpoint fail: 500 SYSTEM_ERROR, 429, a hang, a bad signature, or any status/code. */
export interface PayFault {
  endpoint: PayEndpoint;
  times: number;
  mode: 'error' | 'rate_limit' | 'hang' | 'bad_signature' | 'status';
  /** hang: how long (default 30 s, or until the caller hangs up). */
  delayMs?: number;
  status?: number;
  code?: string;
}

const TRADE_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);
const NOTIFIED_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUND', 'PAYERROR', 'REVOKED', 'CLOSED']);
const SIGNATURE_WINDOW_S = 300;

declare module 'fastify' {
  interface FastifyRequest {
    payRawBody?: string;
    payBadSignature?: boolean;
  }
}

const stall = (ms: number, reply: FastifyReply) =>
  new Promise<void>((resolve) => {
    const socket = reply.raw.socket;
    if (!socket || socket.destroyed) return resolve();
    const done = () => {
      clearTimeout(timer);
      socket.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('close', done);
  });

function transactionView(order: PayOrder): Record<string, unknown> {
  const paid = order.state === 'SUCCESS' || order.state === 'REFUND';
  return {
    appid: order.appid,
    mchid: order.mchid,
    out_trade_no: order.outTradeNo,
    ...(order.transactionId ? { transaction_id: order.transactionId } : {}),
    trade_type: 'JSAPI',
    trade_state: order.state,
    trade_state_desc: { SUCCESS: '支付成功', REFUND: '转入退款', NOTPAY: '未支付', CLOSED: '已关闭', REVOKED: '已撤销', USERPAYING: '用户支付中', PAYERROR: '支付失败' }[order.state],
    ...(paid ? { bank_type: 'OTHERS', success_time: order.successTime } : {}),
    attach: order.attach,
    payer: { openid: order.openid },
    amount: paid ? { total: order.total, payer_total: order.total, currency: 'CNY', payer_currency: 'CNY' } : { total: order.total, currency: 'CNY', payer_currency: 'CNY' },
  };
}

function refundView(record: PayRefundRecord): Record<string, unknown> {
  return {
    refund_id: record.refundId,
    out_refund_no: record.outRefundNo,
    transaction_id: record.transactionId,
    out_trade_no: record.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(record.successTime ? { success_time: record.successTime } : {}),
    create_time: record.createTime,
    status: record.status,
    funds_account: 'AVAILABLE',
    amount: { total: record.total, refund: record.refund, payer_total: record.total, payer_refund: record.refund, settlement_refund: record.refund, settlement_total: record.total, discount_refund: 0, currency: 'CNY' },
  };
}

/**
 * WeChat Pay API v3 (JSAPI) on the emulator's server, beside the mini-program API: prepay, query,
 * close, refund and refund query, each request's merchant signature verified (401 SIGN_ERROR) and
 * each answer signed with the platform key; and the /__control/pay API that plays the user and
 * the bank (pay, fail, refund results) and sends signed, encrypted callbacks. docs/wechat-pay.md.
 */
export function registerPayEmulator(app: FastifyInstance, options: PayEmulatorOptions = {}, state = new PayEmulatorState(), controlApi = true): PayEmulatorState {
  const mchId = options.mchId ?? EMULATOR_PAY_MCH_ID;
  const merchantSerial = options.merchantSerial ?? EMULATOR_PAY_MERCHANT_SERIAL;
  const merchantKey: KeyObject = options.merchantPublicKey ? loadPublicKey(options.merchantPublicKey) : createPublicKey(EMULATOR_PAY_MERCHANT_PRIVATE_KEY);
  const signer = platformSigner({
    serial: options.platformSerial ?? EMULATOR_PAY_PLATFORM_KEY_ID,
    privateKeyPem: options.platformPrivateKey ?? EMULATOR_PAY_PLATFORM_PRIVATE_KEY,
    apiV3Key: options.apiV3Key ?? EMULATOR_PAY_APIV3_KEY,
  });
  const faults: PayFault[] = [];
  const lastNotify = new Map<string, { url: string; notify: BuiltNotify }>();
  const calls = new Map<PayEndpoint, number>();

  const fail = (reply: FastifyReply, error: PayError) => reply.code(error.status).send({ code: error.code, message: error.message });

  /** The merchant's Authorization over the exact request line and body; null when it verifies. */
  const signatureProblem = (request: FastifyRequest): string | null => {
    const auth = parseAuthorization(request.headers.authorization);
    if (!auth) return 'Authorization is missing or not WECHATPAY2-SHA256-RSA2048';
    if (auth.mchid !== mchId) return 'mchid in Authorization is not this merchant';
    if (auth.serial_no !== merchantSerial) return 'serial_no is not the merchant certificate serial';
    if (Math.abs(Date.now() / 1000 - Number(auth.timestamp)) >= SIGNATURE_WINDOW_S) return 'timestamp is too far from now';
    const message = requestSignatureMessage(request.method, request.url, auth.timestamp, auth.nonce_str, request.payRawBody ?? '');
    return verifySha256WithRsa(message, auth.signature, merchantKey) ? null : 'the signature does not verify';
  };

  /** Counts the call, checks its signature, applies a registered fault; true when the reply is sent. */
  const gate = async (endpoint: PayEndpoint, request: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    calls.set(endpoint, (calls.get(endpoint) ?? 0) + 1);
    const problem = signatureProblem(request);
    if (problem) {
      await fail(reply, { status: 401, code: 'SIGN_ERROR', message: `签名错误: ${problem}` });
      return true;
    }
    const fault = faults.find((candidate) => candidate.endpoint === endpoint && candidate.times > 0);
    if (!fault) return false;
    fault.times -= 1;
    switch (fault.mode) {
      case 'hang':
        await stall(fault.delayMs ?? 30_000, reply);
        if (reply.raw.socket?.destroyed) return true;
        await fail(reply, { status: 500, code: 'SYSTEM_ERROR', message: '系统错误 (after a hang)' });
        return true;
      case 'error':
        await fail(reply, { status: 500, code: 'SYSTEM_ERROR', message: '系统错误' });
        return true;
      case 'rate_limit':
        await fail(reply, { status: 429, code: 'FREQUENCY_LIMITED', message: '频率超限' });
        return true;
      case 'status':
        await fail(reply, { status: fault.status ?? 500, code: fault.code ?? 'SYSTEM_ERROR', message: 'emulated' });
        return true;
      case 'bad_signature':
        request.payBadSignature = true;
        return false;
    }
  };

  const send = async (url: string, key: string, notify: BuiltNotify, remember = true): Promise<Delivery> => {
    if (remember) lastNotify.set(key, { url, notify });
    return deliverNotify(url, notify);
  };

  app.register(async (pay) => {
    // the exact bytes: the merchant signature covers them
    pay.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      request.payRawBody = body as string;
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    pay.addHook('onSend', async (request, reply, payload) => {
      if (!request.url.startsWith('/v3/')) return payload;
      const body = typeof payload === 'string' ? payload : '';
      const headers = signedHeaders(signer, body);
      if (request.payBadSignature) headers['wechatpay-signature'] = signedHeaders(signer, `${body}tampered`)['wechatpay-signature'];
      reply.headers({ ...headers, 'request-id': randomBytes(16).toString('hex') });
      return body;
    });

    pay.post('/v3/pay/transactions/jsapi', async (request, reply) => {
      if (await gate('prepay', request, reply)) return reply;
      const result = state.prepay((request.body ?? {}) as JsapiPrepayRequest, { appid: options.appId, mchid: mchId });
      if (isPayError(result)) return fail(reply, result);
      return { prepay_id: result.prepayId };
    });

    pay.get('/v3/pay/transactions/out-trade-no/:outTradeNo', async (request, reply) => {
      if (await gate('query', request, reply)) return reply;
      const { outTradeNo } = request.params as { outTradeNo: string };
      const result = state.query(outTradeNo, (request.query as Record<string, unknown>).mchid, mchId);
      return isPayError(result) ? fail(reply, result) : transactionView(result);
    });

    pay.post('/v3/pay/transactions/out-trade-no/:outTradeNo/close', async (request, reply) => {
      if (await gate('close', request, reply)) return reply;
      const { outTradeNo } = request.params as { outTradeNo: string };
      const result = state.close(outTradeNo, (request.body as Record<string, unknown> | null)?.mchid, mchId);
      return result ? fail(reply, result) : reply.code(204).send();
    });

    pay.post('/v3/refund/domestic/refunds', async (request, reply) => {
      if (await gate('refund', request, reply)) return reply;
      const result = state.refund((request.body ?? {}) as RefundRequest);
      return isPayError(result) ? fail(reply, result) : refundView(result);
    });

    pay.get('/v3/refund/domestic/refunds/:outRefundNo', async (request, reply) => {
      if (await gate('refund-query', request, reply)) return reply;
      const result = state.queryRefund((request.params as { outRefundNo: string }).outRefundNo);
      return isPayError(result) ? fail(reply, result) : refundView(result);
    });

    if (!controlApi) return;

    /**
     * The user paid (or failed): `{ result, notify?: false, amountTotal?, mchid?, appid?, tamper?,
     * serial?, timestampOffsetS?, apiV3Key? }`. Sets the order's state and, for SUCCESS, REFUND,
     * PAYERROR, REVOKED and CLOSED, sends a TRANSACTION notify to its notify_url (the extra fields
     * forge its content or its signature). Answers the order and the delivery.
     */
    pay.post('/__control/pay/:outTradeNo', async (request, reply) => {
      const { outTradeNo } = request.params as { outTradeNo: string };
      const body = (request.body ?? {}) as { result?: string; notify?: boolean; amountTotal?: number; mchid?: string; appid?: string } & NotifyTampering;
      if (typeof body.result !== 'string' || !TRADE_STATES.has(body.result)) {
        return reply.code(400).send({ error: `result must be one of ${[...TRADE_STATES].join(', ')}` });
      }
      const order = state.setResult(outTradeNo, body.result as TradeState);
      if (isPayError(order)) return reply.code(404).send({ error: order.message });
      const transaction = transactionView(order);
      if (body.notify === false || !NOTIFIED_STATES.has(order.state)) return { transaction, delivery: null };
      const resource = {
        ...transaction,
        ...(body.mchid !== undefined ? { mchid: body.mchid } : {}),
        ...(body.appid !== undefined ? { appid: body.appid } : {}),
        ...(body.amountTotal !== undefined ? { amount: { ...(transaction.amount as object), total: body.amountTotal, payer_total: body.amountTotal } } : {}),
      };
      const notify = buildNotify(
        signer,
        { eventType: order.state === 'SUCCESS' || order.state === 'REFUND' ? 'TRANSACTION.SUCCESS' : `TRANSACTION.${order.state}`, originalType: 'transaction', summary: '支付成功', resource },
        body,
      );
      return { transaction, delivery: await send(order.notifyUrl, `pay:${outTradeNo}`, notify) };
    });

    /** Sends the last notify of an order again, byte for byte (WeChat's retries and duplicates). */
    pay.post('/__control/pay/:outTradeNo/replay', async (request, reply) => {
      const last = lastNotify.get(`pay:${(request.params as { outTradeNo: string }).outTradeNo}`);
      if (!last) return reply.code(404).send({ error: 'no notify was sent for this order' });
      return { delivery: await deliverNotify(last.url, last.notify) };
    });

    /** WeChat's signature probe: a notify whose signature starts WECHATPAY/SIGNTEST/; `{ url? }` (default: the order's notify_url). */
    pay.post('/__control/pay/:outTradeNo/signtest', async (request, reply) => {
      const order = state.orders.get((request.params as { outTradeNo: string }).outTradeNo);
      const url = ((request.body ?? {}) as { url?: string }).url ?? order?.notifyUrl;
      if (!url) return reply.code(404).send({ error: 'no order and no url' });
      const resource = order ? transactionView(order) : { out_trade_no: 'SIGNTEST', trade_state: 'SUCCESS' };
      const notify = buildNotify(signer, { eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', summary: '签名探测', resource }, { tamper: 'signtest' });
      return { delivery: await send(url, 'signtest', notify, false) };
    });

    /**
     * The bank answered a refund: `{ result: "SUCCESS" | "ABNORMAL" | "CLOSED", notify?: false, tamper?, … }`
     * → its REFUND.* notify to the refund's notify_url.
     */
    pay.post('/__control/refund/:outRefundNo', async (request, reply) => {
      const { outRefundNo } = request.params as { outRefundNo: string };
      const body = (request.body ?? {}) as { result?: string; notify?: boolean; mchid?: string; refund?: number } & NotifyTampering;
      if (body.result !== 'SUCCESS' && body.result !== 'ABNORMAL' && body.result !== 'CLOSED') {
        return reply.code(400).send({ error: 'result must be SUCCESS, ABNORMAL or CLOSED' });
      }
      const record = state.completeRefund(outRefundNo, body.result);
      if (isPayError(record)) return reply.code(record.status === 404 ? 404 : 409).send({ error: record.message });
      if (body.notify === false || !record.notifyUrl) return { refund: refundView(record), delivery: null };
      const resource = {
        mchid: body.mchid ?? mchId,
        out_trade_no: record.outTradeNo,
        transaction_id: record.transactionId,
        out_refund_no: record.outRefundNo,
        refund_id: record.refundId,
        refund_status: record.status,
        ...(record.successTime ? { success_time: record.successTime } : {}),
        user_received_account: '支付用户零钱',
        amount: { total: record.total, refund: body.refund ?? record.refund, payer_total: record.total, payer_refund: body.refund ?? record.refund },
      };
      const notify = buildNotify(signer, { eventType: `REFUND.${record.status}`, originalType: 'refund', summary: '退款状态变更', resource }, body);
      return { refund: refundView(record), delivery: await send(record.notifyUrl, `refund:${outRefundNo}`, notify) };
    });

    /** Resends a refund's last notify. */
    pay.post('/__control/refund/:outRefundNo/replay', async (request, reply) => {
      const last = lastNotify.get(`refund:${(request.params as { outRefundNo: string }).outRefundNo}`);
      if (!last) return reply.code(404).send({ error: 'no notify was sent for this refund' });
      return { delivery: await deliverNotify(last.url, last.notify) };
    });

    /** `{ endpoint, times, mode, delayMs?, status?, code? }` (PayFault). */
    pay.post('/__control/pay-faults', async (request, reply) => {
      const fault = (request.body ?? {}) as Partial<PayFault>;
      const endpoints: PayEndpoint[] = ['prepay', 'query', 'close', 'refund', 'refund-query'];
      const modes = ['error', 'rate_limit', 'hang', 'bad_signature', 'status'];
      if (!endpoints.includes(fault.endpoint as PayEndpoint) || !modes.includes(String(fault.mode)) || !Number.isInteger(fault.times) || (fault.times as number) < 1) {
        return reply.code(400).send({ error: `endpoint (${endpoints.join('|')}), mode (${modes.join('|')}) and times (>= 1) are required` });
      }
      faults.push({ ...(fault as PayFault) });
      return { added: fault.endpoint };
    });

    /** Orders, refunds and call counts, for assertions. */
    pay.get('/__control/pay/:outTradeNo', async (request, reply) => {
      const order = state.orders.get((request.params as { outTradeNo: string }).outTradeNo);
      if (!order) return reply.code(404).send({ error: 'no such order' });
      return { transaction: transactionView(state.order(order.outTradeNo)!), refunds: order.refunds.map((no) => refundView(state.refunds.get(no)!)) };
    });
    pay.get('/__control/pay-stats', async () => ({ calls: Object.fromEntries(calls) }));
    pay.post('/__control/pay-reset', async () => {
      state.reset();
      faults.length = 0;
      lastNotify.clear();
      calls.clear();
      return { reset: true };
    });
  });
  return state;
}
