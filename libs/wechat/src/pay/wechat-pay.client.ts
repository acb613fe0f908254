import { createPrivateKey, type KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AppError } from '@app/http';
import type { DependencyBreaker } from '@app/resilience';
import { ResilienceError } from '@app/resilience/resilience.errors';
import type { Pool } from 'undici';
import { breakerOwnedPool } from '../breaker-owned-pool';
import {
  buildAuthorization,
  decryptAeadAesGcm,
  type EncryptedResource,
  loadPublicKey,
  type MerchantSigner,
  paySign,
  randomNonce,
  signatureHeadersOf,
  WechatPayCryptoError,
  WechatPayVerifier,
} from './wechat-pay.crypto';
import type { WechatPayConfig } from './wechat-pay.config';
import { normaliseWechatPayCode, WechatPayError, WechatPayRejectedError } from './wechat-pay.errors';
import {
  type JsapiPrepayInput,
  type NotifyHeaders,
  type PayNotification,
  type PayRefund,
  type PayTransaction,
  type RefundInput,
  type RefundStatus,
  type RequestPaymentParams,
  type TradeState,
  WechatPayGateway,
} from './wechat-pay.gateway';

type Json = Record<string, unknown>;

export interface WechatPayClientOptions {
  /** Attempts after the first for a call that failed retryably (timeout, 5xx, SYSTEM_ERROR, 429). Default 2. */
  retries?: number;
  /** The first wait after FREQUENCY_LIMITED (doubled each time, with jitter). Default 1000 ms. */
  rateLimitBackoffMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const TRADE_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);
const REFUND_STATUSES: ReadonlySet<string> = new Set(['SUCCESS', 'PROCESSING', 'CLOSED', 'ABNORMAL']);
const REFUND_EVENTS: ReadonlySet<string> = new Set(['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED']);

const NOTIFY_ERRORS = {
  missing_headers: WechatPayError.NotifySignatureInvalid,
  bad_signature: WechatPayError.NotifySignatureInvalid,
  malformed: WechatPayError.NotifySignatureInvalid,
  unknown_serial: WechatPayError.NotifyUnknownSerial,
  stale_timestamp: WechatPayError.NotifyStale,
  signtest_probe: WechatPayError.NotifySignTest,
  decrypt_failed: WechatPayError.NotifyUndecryptable,
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What the client itself tries again at once (after a query or a short backoff): a timeout or a
 * network failure (7002/7003; never an open circuit, 7001), a 5xx SYSTEM_ERROR/BANK_ERROR, 429.
 * NOT_ENOUGH and USER_PAYING are retryable later, by the caller (isRetryableWechatPayError).
 */
function retryNow(error: unknown): boolean {
  if (error instanceof WechatPayRejectedError) return ['SYSTEM_ERROR', 'BANK_ERROR', 'FREQUENCY_LIMITED'].includes(error.wechatCode);
  return error instanceof AppError && (error.definition === ResilienceError.DependencyTimeout || error.definition === ResilienceError.DependencyFailed);
}

/** WeChat Pay's time format: RFC 3339 in China Standard Time, `2026-12-06T15:00:00+08:00`. */
export function toWechatPayTime(date: Date): string {
  return `${new Date(date.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}

/**
 * WeChat Pay API v3 (JSAPI) over one keep-alive undici pool, every call signed
 * (WECHATPAY2-SHA256-RSA2048) and through the `wechatpay` circuit breaker, whose timer
 * (WECHAT_PAY_TIMEOUT_MS) is a call's only timeout (504, 7002). Every 2xx answer's signature is
 * verified over its raw bytes before it is read; a signed error answer is verified too.
 *
 * Retries (the shared note's rules): a timeout, a 5xx/SYSTEM_ERROR or a network failure on prepay
 * or refund is followed by a query, then the SAME request again (same out_trade_no /
 * out_refund_no), never a new number; reads and close are simply repeated; FREQUENCY_LIMITED (429)
 * waits with backoff first. What stays the caller's business: close answering USER_PAYING
 * (WechatPayError.UserPaying, 409: wait ~5 s, query), and querying after any close error.
 */
export class WechatPayClient extends WechatPayGateway {
  readonly merchant: { appId: string; mchId: string };
  private readonly logger = new Logger('WechatPay');
  private readonly pool: Pool | null;
  private readonly pathPrefix: string;
  private readonly signer: MerchantSigner | null;
  private readonly verifier: WechatPayVerifier;
  private readonly apiV3Key: Buffer;
  private readonly retries: number;
  private readonly rateLimitBackoffMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly config: WechatPayConfig,
    private readonly breaker: DependencyBreaker,
    options: WechatPayClientOptions = {},
  ) {
    super();
    this.merchant = { appId: config.appId, mchId: config.mchId };
    this.retries = options.retries ?? 2;
    this.rateLimitBackoffMs = options.rateLimitBackoffMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleep;
    const keys = new Map<string, KeyObject>(Object.entries(config.platformKeys).map(([serial, pem]) => [serial, loadPublicKey(pem)]));
    this.verifier = new WechatPayVerifier(keys, { now: this.now });
    this.apiV3Key = Buffer.from(config.apiV3Key, 'utf8');
    // a WeChat Pay business answer (4xx: ORDER_NOT_EXIST, PARAM_ERROR, 429…) means it is up: not a circuit failure
    breaker.treatAsAnswer((error) => error instanceof WechatPayRejectedError && error.httpStatus < 500);
    if (!config.enabled) {
      this.pool = null;
      this.signer = null;
      this.pathPrefix = '';
      return;
    }
    this.signer = { mchId: config.mchId, serialNo: config.merchantSerial, privateKey: createPrivateKey(config.merchantPrivateKeyPem) };
    ({ pool: this.pool, pathPrefix: this.pathPrefix } = breakerOwnedPool(config.apiBase, { connections: config.poolConnections, timeoutMs: config.timeoutMs }));
  }

  async prepayJsapi(input: JsapiPrepayInput): Promise<{ prepayId: string }> {
    const body = {
      appid: this.config.appId,
      mchid: this.config.mchId,
      description: input.description,
      out_trade_no: input.outTradeNo,
      time_expire: toWechatPayTime(input.timeExpire),
      ...(input.attach !== undefined ? { attach: input.attach } : {}),
      notify_url: input.notifyUrl,
      amount: { total: input.amountFen, currency: 'CNY' },
      payer: { openid: input.payerOpenId },
    };
    const prepayId = await this.withRecovery(
      async () => {
        const answer = await this.send('POST', '/v3/pay/transactions/jsapi', body);
        const id = answer.data?.prepay_id;
        if (typeof id !== 'string' || id === '') throw this.badResponse('prepay', 'no prepay_id');
        return id;
      },
      async () => {
        // did the lost attempt happen? A paid or closed order must not be prepaid again
        const existing = await this.queryTransaction(input.outTradeNo).catch(() => null);
        if (existing && (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND')) {
          throw new WechatPayRejectedError('ORDER_PAID', 400, 'paid while the prepay was being retried');
        }
        if (existing && (existing.tradeState === 'CLOSED' || existing.tradeState === 'REVOKED')) {
          throw new WechatPayRejectedError('ORDER_CLOSED', 400, 'closed while the prepay was being retried');
        }
        return undefined;
      },
    );
    return { prepayId };
  }

  requestPaymentParams(prepayId: string): RequestPaymentParams {
    const signer = this.requireSigner();
    const fields = { appId: this.config.appId, timeStamp: String(Math.floor(this.now() / 1000)), nonceStr: randomNonce(32), package: `prepay_id=${prepayId}` };
    return { timeStamp: fields.timeStamp, nonceStr: fields.nonceStr, package: fields.package, signType: 'RSA', paySign: paySign(fields, signer.privateKey) };
  }

  async queryTransaction(outTradeNo: string): Promise<PayTransaction | null> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.config.mchId)}`;
    try {
      const answer = await this.withRecovery(() => this.send('GET', path));
      return this.toTransaction(answer.data, 'query');
    } catch (error) {
      if (error instanceof WechatPayRejectedError && error.wechatCode === 'ORDER_NOT_EXIST') return null;
      throw error;
    }
  }

  async closeTransaction(outTradeNo: string): Promise<void> {
    const path = `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`;
    // USER_PAYING is the caller's to handle (wait, then query), never a blind retry of the close
    const answer = await this.withRecovery(() => this.send('POST', path, { mchid: this.config.mchId }));
    // 202 is "accepted, but the user is paying": not closed; the caller waits ~5 s and queries
    if (answer.status === 202) throw new WechatPayRejectedError('USER_PAYING', 202, 'the user is paying');
  }

  async refund(input: RefundInput): Promise<PayRefund> {
    const body = {
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason ? { reason: input.reason } : {}),
      notify_url: input.notifyUrl,
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    };
    return this.withRecovery(
      async () => this.toRefund((await this.send('POST', '/v3/refund/domestic/refunds', body)).data, 'refund'),
      // did the lost attempt create the refund? Then that is the answer; else the same out_refund_no again
      async () => (await this.queryRefund(input.outRefundNo).catch(() => null)) ?? undefined,
      // right after a payment WeChat may not know the order yet (RESOURCE_NOT_EXISTS): retry it too
      (error) => retryNow(error) || (error instanceof WechatPayRejectedError && error.wechatCode === 'RESOURCE_NOT_EXISTS'),
    );
  }

  async queryRefund(outRefundNo: string): Promise<PayRefund | null> {
    try {
      const answer = await this.withRecovery(() => this.send('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`));
      return this.toRefund(answer.data, 'refund query');
    } catch (error) {
      if (error instanceof WechatPayRejectedError && (error.wechatCode === 'RESOURCE_NOT_EXISTS' || error.wechatCode === 'ORDER_NOT_EXIST')) return null;
      throw error;
    }
  }

  parseNotification(headers: NotifyHeaders, rawBody: Buffer): PayNotification {
    if (!this.config.enabled) throw new AppError(WechatPayError.NotConfigured);
    let decrypted: Json;
    let envelope: Json;
    try {
      this.verifier.verify(headers, rawBody);
      envelope = JSON.parse(rawBody.toString('utf8')) as Json;
      const resource = envelope.resource as (EncryptedResource & { algorithm?: unknown }) | undefined;
      if (typeof resource !== 'object' || resource === null || resource.algorithm !== 'AEAD_AES_256_GCM') {
        throw new AppError(WechatPayError.NotifyMalformed, { message: 'resource is missing or not AEAD_AES_256_GCM' });
      }
      decrypted = JSON.parse(decryptAeadAesGcm(resource, this.apiV3Key).toString('utf8')) as Json;
    } catch (error) {
      if (error instanceof WechatPayCryptoError) {
        this.logger.warn({ reason: error.reason, serial: headers.serial }, 'WeChat Pay callback refused');
        throw new AppError(NOTIFY_ERRORS[error.reason], { cause: error });
      }
      if (error instanceof AppError) throw error;
      throw new AppError(WechatPayError.NotifyMalformed, { cause: error });
    }
    const id = String(envelope.id ?? '');
    const eventType = String(envelope.event_type ?? '');
    try {
      if (REFUND_EVENTS.has(eventType)) {
        const refund = this.toRefund(decrypted, 'refund notify');
        return { kind: 'refund', id, eventType: eventType as 'REFUND.SUCCESS', refund: { ...refund, mchId: String(decrypted.mchid ?? '') } };
      }
      if (eventType.startsWith('TRANSACTION.')) return { kind: 'transaction', id, eventType, transaction: this.toTransaction(decrypted, 'transaction notify') };
    } catch (error) {
      throw new AppError(WechatPayError.NotifyMalformed, { cause: error });
    }
    throw new AppError(WechatPayError.NotifyMalformed, { message: `unexpected event_type ${eventType}` });
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * Runs `attempt`; after a retryable failure waits (FREQUENCY_LIMITED: backoff) or runs `recover`
   * (a query: its non-undefined result is the answer), then runs the SAME attempt again.
   */
  private async withRecovery<T>(
    attempt: () => Promise<T>,
    recover?: () => Promise<T | undefined>,
    isRetryable: (error: unknown) => boolean = retryNow,
  ): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (retry >= this.retries || !isRetryable(error)) throw error;
        const code = error instanceof WechatPayRejectedError ? error.wechatCode : (error as AppError).code;
        this.logger.warn({ code, retry: retry + 1 }, 'WeChat Pay call failed retryably: retrying with the same parameters');
        if (error instanceof WechatPayRejectedError && error.wechatCode !== 'SYSTEM_ERROR' && error.wechatCode !== 'BANK_ERROR') {
          // 429, or RESOURCE_NOT_EXISTS right after a payment: give WeChat a moment
          await this.sleep(Math.floor(this.rateLimitBackoffMs * 2 ** retry * (0.5 + Math.random() / 2)));
        }
        if (recover) {
          const recovered = await recover();
          if (recovered !== undefined) return recovered;
        }
      }
    }
  }

  private requireSigner(): MerchantSigner {
    if (!this.signer) throw new AppError(WechatPayError.NotConfigured);
    return this.signer;
  }

  private async send(method: 'GET' | 'POST', pathAndQuery: string, body?: Json): Promise<{ status: number; data: Json | null }> {
    const signer = this.requireSigner();
    const pool = this.pool!;
    const payload = body === undefined ? '' : JSON.stringify(body);
    const path = `${this.pathPrefix}${pathAndQuery}`;
    return this.breaker.execute(async (signal) => {
      const { authorization } = buildAuthorization(signer, { method, pathAndQuery: path, body: payload });
      const response = await pool.request({
        method,
        path,
        signal,
        headers: {
          authorization,
          accept: 'application/json',
          'user-agent': 'wxmp-backend/wechatpay-v3',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : payload,
      });
      const raw = Buffer.from(await response.body.arrayBuffer());
      const status = response.statusCode;
      const signature = signatureHeadersOf(response.headers);
      const ok = status >= 200 && status < 300;
      if (ok || signature.signature) {
        try {
          this.verifier.verify(signature, raw);
        } catch (error) {
          const reason = error instanceof WechatPayCryptoError ? error.reason : 'unknown';
          this.logger.error({ path: pathAndQuery.split('?')[0], status, reason, serial: signature.serial }, 'WeChat Pay response failed verification');
          throw new AppError(WechatPayError.BadResponseSignature, { cause: error });
        }
      }
      let data: Json | null = null;
      if (raw.length > 0) {
        try {
          data = JSON.parse(raw.toString('utf8')) as Json;
        } catch {
          if (ok) throw this.badResponse(pathAndQuery, 'not JSON');
        }
      }
      if (ok) return { status, data };
      const code = status === 429 ? 'FREQUENCY_LIMITED' : data?.code ? normaliseWechatPayCode(data.code) : status >= 500 ? 'SYSTEM_ERROR' : 'UNKNOWN';
      const message = typeof data?.message === 'string' ? data.message : '';
      if (code === 'SIGN_ERROR' || code === 'APPID_MCHID_NOT_MATCH') {
        this.logger.error({ status, code }, 'WeChat Pay rejected our merchant credentials: check WECHAT_PAY_* (key, serial, mchid, appid)');
      }
      throw new WechatPayRejectedError(code, status, message);
    });
  }

  private toTransaction(data: Json | null, api: string): PayTransaction {
    const amount = data?.amount as Json | undefined;
    const payer = data?.payer as Json | undefined;
    if (!data || typeof data.out_trade_no !== 'string' || !TRADE_STATES.has(String(data.trade_state))) throw this.badResponse(api, 'not a transaction');
    // a paid transaction always states its amount (the caller compares it with the order); an
    // unpaid one may come without it, read as 0
    const paid = data.trade_state === 'SUCCESS' || data.trade_state === 'REFUND';
    if (typeof amount?.total !== 'number' && (paid || amount?.total !== undefined)) throw this.badResponse(api, 'no amount.total');
    return {
      appId: String(data.appid ?? ''),
      mchId: String(data.mchid ?? ''),
      outTradeNo: data.out_trade_no,
      ...(typeof data.transaction_id === 'string' && data.transaction_id ? { transactionId: data.transaction_id } : {}),
      tradeState: data.trade_state as TradeState,
      ...(typeof data.success_time === 'string' && data.success_time ? { successTime: data.success_time } : {}),
      ...(typeof payer?.openid === 'string' ? { payerOpenId: payer.openid } : {}),
      amountTotal: typeof amount?.total === 'number' ? amount.total : 0,
    };
  }

  private toRefund(data: Json | null, api: string): PayRefund {
    const amount = data?.amount as Json | undefined;
    const status = data?.refund_status ?? data?.status;
    if (
      !data ||
      typeof data.out_refund_no !== 'string' ||
      !REFUND_STATUSES.has(String(status)) ||
      typeof amount?.refund !== 'number' ||
      typeof amount.total !== 'number'
    ) {
      throw this.badResponse(api, 'not a refund');
    }
    return {
      outTradeNo: String(data.out_trade_no ?? ''),
      outRefundNo: data.out_refund_no,
      ...(typeof data.refund_id === 'string' ? { refundId: data.refund_id } : {}),
      status: status as RefundStatus,
      refundFen: amount.refund,
      totalFen: amount.total,
      ...(typeof data.success_time === 'string' && data.success_time ? { successTime: data.success_time } : {}),
    };
  }

  private badResponse(api: string, detail: string): AppError {
    this.logger.warn({ api: api.split('?')[0], detail }, 'WeChat Pay answered something unreadable');
    return new AppError(WechatPayError.BadResponse);
  }
}
