import type { WechatPaySignatureHeaders } from './wechat-pay.crypto';

/**
 * WeChat Pay v3 (JSAPI) as the order feature sees it. The real implementation (WechatPayClient,
 * libs/wechat/src/pay) signs requests, verifies responses and calls through the `wechatpay`
 * circuit breaker; the order feature depends on this abstract class only (it is the Nest token),
 * so its unit tests can hand it a fake. Amounts are integer fen, always.
 *
 * Errors: calls throw AppError with a payment-block code (4500-4999). A timeout / 5xx /
 * network failure is `WechatPayUnavailable`-like (retryable: the caller queries, then retries with
 * the SAME out_trade_no / out_refund_no); WeChat's terminal business errors are raised as
 * WechatPayRejected with WeChat's normalised `code` (e.g. ORDER_CLOSED, ORDER_NOT_EXIST).
 */
export abstract class WechatPayGateway {
  /** The merchant's appid/mchid as configured; the notify handler compares them with a callback. */
  abstract readonly merchant: { appId: string; mchId: string };

  /** POST /v3/pay/transactions/jsapi → prepay_id (same parameters again before expiry: same prepay_id). */
  abstract prepayJsapi(input: JsapiPrepayInput): Promise<{ prepayId: string }>;

  /** What `wx.requestPayment` needs, signed with the merchant key (paySign over appId/timeStamp/nonceStr/package). */
  abstract requestPaymentParams(prepayId: string): RequestPaymentParams;

  /** GET /v3/pay/transactions/out-trade-no/{outTradeNo}; null when WeChat has no such order (ORDER_NOT_EXIST). */
  abstract queryTransaction(outTradeNo: string): Promise<PayTransaction | null>;

  /** POST …/{outTradeNo}/close. Throws on any error: the caller queries again before deciding. */
  abstract closeTransaction(outTradeNo: string): Promise<void>;

  /** POST /v3/refund/domestic/refunds (idempotent at WeChat by outRefundNo). */
  abstract refund(input: RefundInput): Promise<PayRefund>;

  /** GET /v3/refund/domestic/refunds/{outRefundNo}; null when unknown. */
  abstract queryRefund(outRefundNo: string): Promise<PayRefund | null>;

  /**
   * Verifies a callback over its raw body bytes (key chosen by Wechatpay-Serial: platform
   * certificate serials and PUB_KEY_ID_ keys side by side; |now - timestamp| < 300 s; SIGNTEST
   * probes rejected) and decrypts its resource (AEAD_AES_256_GCM, tag checked). Throws
   * AppError (payment block) when anything is off; the controller answers 4xx/5xx then.
   */
  abstract parseNotification(headers: NotifyHeaders, rawBody: Buffer): PayNotification;
}

export interface JsapiPrepayInput {
  outTradeNo: string;
  description: string;
  amountFen: number;
  payerOpenId: string;
  notifyUrl: string;
  /** WeChat stops accepting payment at this instant (rfc3339 with offset is sent). */
  timeExpire: Date;
  attach?: string;
}

export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export interface PayTransaction {
  appId: string;
  mchId: string;
  outTradeNo: string;
  transactionId?: string;
  tradeState: TradeState;
  successTime?: string;
  payerOpenId?: string;
  /** amount.total in fen */
  amountTotal: number;
}

export interface RefundInput {
  outTradeNo: string;
  outRefundNo: string;
  refundFen: number;
  totalFen: number;
  reason?: string;
  notifyUrl: string;
}

export type RefundStatus = 'SUCCESS' | 'PROCESSING' | 'CLOSED' | 'ABNORMAL';

export interface PayRefund {
  outTradeNo: string;
  outRefundNo: string;
  refundId?: string;
  status: RefundStatus;
  refundFen: number;
  totalFen: number;
  successTime?: string;
}

/** Wechatpay-Serial/-Signature/-Timestamp/-Nonce of a callback (`signatureHeadersOf` reads them from a request). */
export type NotifyHeaders = WechatPaySignatureHeaders;

export type PayNotification =
  | { kind: 'transaction'; id: string; eventType: string; transaction: PayTransaction }
  | { kind: 'refund'; id: string; eventType: 'REFUND.SUCCESS' | 'REFUND.ABNORMAL' | 'REFUND.CLOSED'; refund: PayRefund & { mchId: string } };
