import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';

export const RATE_LIMIT_KEY_BY = 'rateLimit:keyBy';

/** Who a limit is counted for: the signed-in user when there is one, or always the client IP. */
export type RateLimitKeyBy = 'user-or-ip' | 'ip';

export interface RateLimitOptions {
  limit: number;
  windowMs: number;
  keyBy?: RateLimitKeyBy;
  /** After the limit is hit, refuse everything from this caller for this long. */
  blockMs?: number;
}

/** A route's own limit, replacing the default (100 per second per caller). */
export function RateLimit(options: RateLimitOptions): MethodDecorator & ClassDecorator {
  return applyDecorators(
    Throttle({ default: { limit: options.limit, ttl: options.windowMs, blockDuration: options.blockMs } }),
    SetMetadata(RATE_LIMIT_KEY_BY, options.keyBy ?? 'user-or-ip'),
  );
}

let loginLimit: number | undefined;
/** RATE_LIMIT_LOGIN_PER_MINUTE (validated at boot with the rest of the rate-limit config), read once. */
const loginLimitPerMinute = (): number => {
  loginLimit ??= Number(process.env.RATE_LIMIT_LOGIN_PER_MINUTE ?? 10);
  return loginLimit;
};

/** Limits the product's routes share, so the numbers live in one place. */
export const RateLimitPolicy = {
  /** Credential guessing: 10 per minute per IP (RATE_LIMIT_LOGIN_PER_MINUTE), whoever the caller claims to be. */
  login: (): MethodDecorator & ClassDecorator =>
    applyDecorators(
      Throttle({ default: { limit: loginLimitPerMinute, ttl: 60_000 } }),
      SetMetadata(RATE_LIMIT_KEY_BY, 'ip'),
    ),
  /**
   * Routes that spend WeChat quota (phone binding calls getuserphonenumber) or answer with the
   * session's WeChat session_key (open-data decrypt, where each answer is a guess checked for an
   * attacker): 10 per minute per user, far above what a mini-program needs.
   */
  wechatSession: (): MethodDecorator & ClassDecorator => RateLimit({ limit: 10, windowMs: 60_000 }),
  /** Order submission: 5 per second per user. */
  orderSubmit: (): MethodDecorator & ClassDecorator => RateLimit({ limit: 5, windowMs: 1_000 }),
};

/** For routes that must never be limited (payment provider callbacks, probes). */
export const NoRateLimit = (): MethodDecorator & ClassDecorator => SkipThrottle();
