import { HttpStatus } from '@nestjs/common';
import { defineErrors } from '@app/http';

/** Errors of the shared resilience layer; codes 7000-7999. Never renumber. */
export const ResilienceError = defineErrors({
  CircuitOpen: {
    code: 7001,
    status: HttpStatus.SERVICE_UNAVAILABLE,
    message: 'A dependency is failing; try again shortly',
  },
  DependencyTimeout: { code: 7002, status: HttpStatus.GATEWAY_TIMEOUT, message: 'A dependency timed out' },
  DependencyFailed: { code: 7003, status: HttpStatus.BAD_GATEWAY, message: 'A dependency failed' },
  RateLimited: { code: 7010, status: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many requests' },
  IdempotencyInProgress: {
    code: 7020,
    status: HttpStatus.CONFLICT,
    message: 'A request with this Idempotency-Key is still being processed',
  },
  IdempotencyKeyReused: {
    code: 7021,
    status: HttpStatus.UNPROCESSABLE_ENTITY,
    message: 'This Idempotency-Key was used with a different request body',
  },
  IdempotencyKeyInvalid: {
    code: 7022,
    status: HttpStatus.BAD_REQUEST,
    message: 'Idempotency-Key must be 1-128 characters of A-Z a-z 0-9 - _ . :',
  },
});
