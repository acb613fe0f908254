import { HttpStatus } from '@nestjs/common';
import { AppError, defineErrors, type ErrorDefinition } from '@app/http';
import { DependencyErrors } from '@app/resilience/resilience.errors';

/**
 * WeChat Pay's failures as our clients and the order feature see them (payment block; this lib
 * uses 4500-4599, the rest of 4500-4999 is free for the payment side of the order feature).
 * Retryable (same out_trade_no / out_refund_no): Unavailable, FrequencyLimited, RefundNotEnough,
 * UserPaying (after a wait and a query), and the breaker's 503/504/502 (7001-7003).
 */
export const WechatPayError = defineErrors('payment', {
  NotConfigured: { code: 4501, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'WeChat Pay is not configured' },
  Unavailable: { code: 4502, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'WeChat Pay is unavailable, retry later' },
  FrequencyLimited: { code: 4503, status: HttpStatus.TOO_MANY_REQUESTS, message: 'WeChat Pay frequency limit reached, retry later' },
  Rejected: { code: 4504, status: HttpStatus.BAD_GATEWAY, message: 'WeChat Pay refused the request' },
  OrderClosed: { code: 4505, status: HttpStatus.CONFLICT, message: 'The payment order is closed at WeChat Pay' },
  OrderPaid: { code: 4506, status: HttpStatus.CONFLICT, message: 'The payment order is already paid' },
  OutTradeNoUsed: { code: 4507, status: HttpStatus.CONFLICT, message: 'The order number was used with other parameters' },
  UserPaying: { code: 4508, status: HttpStatus.CONFLICT, message: 'The user is paying this order: wait, then query it' },
  RefundNotEnough: { code: 4509, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'Not enough merchant balance for the refund, retry later' },
  Misconfigured: { code: 4510, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'WeChat Pay rejected our merchant credentials' },
  BadResponseSignature: { code: 4511, status: HttpStatus.BAD_GATEWAY, message: 'A WeChat Pay response failed signature verification' },
  BadResponse: { code: 4512, status: HttpStatus.BAD_GATEWAY, message: 'WeChat Pay answered with an unreadable response' },
  NotifySignatureInvalid: { code: 4520, status: HttpStatus.UNAUTHORIZED, message: 'The callback signature does not verify' },
  NotifyUnknownSerial: { code: 4521, status: HttpStatus.UNAUTHORIZED, message: 'The callback is signed with an unknown key' },
  NotifyStale: { code: 4522, status: HttpStatus.UNAUTHORIZED, message: 'The callback timestamp is outside the 300 s window' },
  NotifySignTest: { code: 4523, status: HttpStatus.UNAUTHORIZED, message: 'Signature probe refused' },
  NotifyUndecryptable: { code: 4524, status: HttpStatus.BAD_REQUEST, message: 'The callback resource does not decrypt' },
  NotifyMalformed: { code: 4525, status: HttpStatus.BAD_REQUEST, message: 'The callback is malformed' },
});

/**
 * WeChat Pay's own error codes, normalised: its pages spell some with and without underscores
 * (ORDER_NOT_EXIST, ORDERNOTEXIST, ORDER_NOT_EXISTS). Keyed by the spelling without underscores.
 */
const CANONICAL_CODES: Record<string, string> = {
  ORDERNOTEXIST: 'ORDER_NOT_EXIST',
  ORDERNOTEXISTS: 'ORDER_NOT_EXIST',
  RESOURCENOTEXIST: 'RESOURCE_NOT_EXISTS',
  RESOURCENOTEXISTS: 'RESOURCE_NOT_EXISTS',
  ORDERCLOSED: 'ORDER_CLOSED',
  ORDERPAID: 'ORDER_PAID',
  OUTTRADENOUSED: 'OUT_TRADE_NO_USED',
  SYSTEMERROR: 'SYSTEM_ERROR',
  FREQUENCYLIMITED: 'FREQUENCY_LIMITED',
  USERPAYING: 'USER_PAYING',
  NOTENOUGH: 'NOT_ENOUGH',
  SIGNERROR: 'SIGN_ERROR',
  PARAMERROR: 'PARAM_ERROR',
  INVALIDREQUEST: 'INVALID_REQUEST',
  APPIDMCHIDNOTMATCH: 'APPID_MCHID_NOT_MATCH',
  MCHNOTEXISTS: 'MCH_NOT_EXISTS',
  NOAUTH: 'NO_AUTH',
  BANKERROR: 'BANK_ERROR',
};

export function normaliseWechatPayCode(code: unknown): string {
  if (typeof code !== 'string' || code.trim() === '') return 'UNKNOWN';
  const upper = code.trim().toUpperCase();
  return CANONICAL_CODES[upper.replace(/_/g, '')] ?? upper;
}

/** What each normalised WeChat code becomes; anything else is Rejected (502). */
const DEFINITION_BY_CODE: Record<string, ErrorDefinition> = {
  SYSTEM_ERROR: WechatPayError.Unavailable,
  BANK_ERROR: WechatPayError.Unavailable,
  FREQUENCY_LIMITED: WechatPayError.FrequencyLimited,
  ORDER_CLOSED: WechatPayError.OrderClosed,
  ORDER_PAID: WechatPayError.OrderPaid,
  OUT_TRADE_NO_USED: WechatPayError.OutTradeNoUsed,
  USER_PAYING: WechatPayError.UserPaying,
  NOT_ENOUGH: WechatPayError.RefundNotEnough,
  SIGN_ERROR: WechatPayError.Misconfigured,
  APPID_MCHID_NOT_MATCH: WechatPayError.Misconfigured,
  MCH_NOT_EXISTS: WechatPayError.Misconfigured,
  NO_AUTH: WechatPayError.Misconfigured,
};

/**
 * WeChat Pay answered with an error: `wechatCode` is its normalised code (ORDER_CLOSED,
 * ORDER_NOT_EXIST, USER_PAYING, …), `httpStatus` the status it came with; `definition` is ours.
 */
export class WechatPayRejectedError extends AppError {
  constructor(
    readonly wechatCode: string,
    readonly httpStatus: number,
    readonly wechatMessage: string,
  ) {
    super(DEFINITION_BY_CODE[wechatCode] ?? WechatPayError.Rejected, { data: { wechatCode } });
    this.name = 'WechatPayRejectedError';
  }
}

/** True when the same call may be retried (same out_trade_no / out_refund_no) after a wait or a query. */
export function isRetryableWechatPayError(error: unknown): boolean {
  if (!(error instanceof AppError)) return false;
  if (error instanceof WechatPayRejectedError) {
    return ['SYSTEM_ERROR', 'BANK_ERROR', 'FREQUENCY_LIMITED', 'NOT_ENOUGH', 'USER_PAYING'].includes(error.wechatCode);
  }
  // the breaker's own: circuit open 7001, timeout 7002, failure 7003
  return error.definition === WechatPayError.Unavailable || DependencyErrors.includes(error.definition);
}

/** What any call to WeChat Pay can end in, for the @ApiErrors of routes that call it (beside their own). */
export const WechatPayCallErrors: readonly ErrorDefinition[] = [
  WechatPayError.NotConfigured,
  WechatPayError.Unavailable,
  WechatPayError.FrequencyLimited,
  WechatPayError.Rejected,
  WechatPayError.Misconfigured,
  WechatPayError.BadResponseSignature,
  WechatPayError.BadResponse,
  ...DependencyErrors,
];

/** What parseNotification refuses a callback with (the notify route answers that status, never 200). */
export const WechatPayNotifyErrors: readonly ErrorDefinition[] = [
  WechatPayError.NotConfigured,
  WechatPayError.NotifySignatureInvalid,
  WechatPayError.NotifyUnknownSerial,
  WechatPayError.NotifyStale,
  WechatPayError.NotifySignTest,
  WechatPayError.NotifyUndecryptable,
  WechatPayError.NotifyMalformed,
];
