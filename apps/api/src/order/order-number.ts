import { randomInt } from 'node:crypto';

/**
 * Order numbers: `yyyyMMddHHmmssSSS` (UTC) + 6 random digits, 23 characters. Time-ordered (they
 * sort by creation, to the millisecond), unique in practice (10^6 per millisecond; the unique
 * index turns the rare collision into a retry), and valid as WeChat Pay's out_trade_no
 * (6-32 of [A-Za-z0-9_-]). Digits only, so an operator can read one out over the phone.
 */
export const ORDER_NO = /^[A-Za-z0-9_-]{6,32}$/;

export function newOrderNumber(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 17);
  return `${stamp}${randomInt(0, 1_000_000).toString().padStart(6, '0')}`;
}
