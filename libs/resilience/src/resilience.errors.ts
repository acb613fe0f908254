import { HttpStatus } from '@nestjs/common';
import { defineErrors, type ErrorDefinition } from '@app/http';

/**
 * Errors of the shared resilience layer (block resilience, 7000-7019). Never renumber. The
 * neighbouring blocks: idempotency 7020-7029 (libs/http), database 7030-7039 and redis
 * 7040-7049 (./dependencies).
 */
export const ResilienceError = defineErrors('resilience', {
  CircuitOpen: {
    code: 7001,
    status: HttpStatus.SERVICE_UNAVAILABLE,
    message: 'A dependency is failing; try again shortly',
  },
  DependencyTimeout: { code: 7002, status: HttpStatus.GATEWAY_TIMEOUT, message: 'A dependency timed out' },
  DependencyFailed: { code: 7003, status: HttpStatus.BAD_GATEWAY, message: 'A dependency failed' },
  RateLimited: { code: 7010, status: HttpStatus.TOO_MANY_REQUESTS, message: 'Too many requests' },
});

/** What a call through a circuit breaker can end in: circuit open (503), timeout (504), failure (502). */
export const DependencyErrors: readonly ErrorDefinition[] = [
  ResilienceError.CircuitOpen,
  ResilienceError.DependencyTimeout,
  ResilienceError.DependencyFailed,
];
