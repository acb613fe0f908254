import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/**
 * Redis failing, as clients see it on routes that cannot do without it (block 7040-7049).
 * Callers that can degrade (rate limiter, cache, session check) do so instead of raising these.
 */
export const RedisError = defineErrors('redis', {
  // Retry-After 1 s: the circuit tries Redis again every REDIS_CIRCUIT_COOLDOWN_MS (1 s by default)
  Unavailable: { code: 7040, status: HttpStatus.SERVICE_UNAVAILABLE, message: 'A shared store is unavailable; try again shortly', retryAfterS: 1 },
  Timeout: { code: 7041, status: HttpStatus.GATEWAY_TIMEOUT, message: 'A shared store did not answer in time' },
});
