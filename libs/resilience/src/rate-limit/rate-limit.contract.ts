import type { ContractRule, ResponseHeaderDoc } from '@app/http';
import { ResilienceError } from '../resilience.errors';
import type { RateLimitConfig } from './rate-limit.config';
import { THROTTLER_SKIP } from './throttler-metadata';

const integer = { type: 'integer', minimum: 0 };
const LIMITED = ResilienceError.RateLimited.status;

// what RateLimitGuard.decide() sets, on the responses it lets through and on its 429
const RATE_LIMIT_HEADERS: readonly ResponseHeaderDoc[] = [
  { name: 'RateLimit-Limit', description: 'Requests allowed per window for this caller on this route', schema: integer, on: ['success', LIMITED] },
  { name: 'RateLimit-Remaining', description: 'Requests left in the current window', schema: integer, on: ['success', LIMITED] },
  { name: 'RateLimit-Reset', description: 'Seconds until the window frees a request', schema: integer, on: ['success', LIMITED] },
];

const RETRY_AFTER: ResponseHeaderDoc = {
  name: 'Retry-After',
  description: 'Seconds to wait before trying again',
  schema: { type: 'integer', minimum: 1 },
  on: [LIMITED],
};

/**
 * 429 (7010) and the RateLimit-* headers on every route the global limiter checks: all of them
 * while it is enabled, except the exempt paths and @NoRateLimit() routes (the guard's own rules).
 */
export function rateLimitContract(config: Pick<RateLimitConfig, 'enabled' | 'exemptPrefixes'>): ContractRule {
  return (route) => {
    if (!config.enabled || config.exemptPrefixes.some((prefix) => route.path.startsWith(prefix))) return null;
    // the app configures one throttler, 'default'
    if (route.metadata<boolean>(`${THROTTLER_SKIP}default`) === true) return null;
    return { errors: [ResilienceError.RateLimited], responseHeaders: [...RATE_LIMIT_HEADERS, RETRY_AFTER] };
  };
}
