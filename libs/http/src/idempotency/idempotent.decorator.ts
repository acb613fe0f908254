import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENCY_OPTIONS, IdempotentOptions } from './idempotency.types';

/**
 * Opts a write route into Idempotency-Key handling. Applied per route rather than as a
 * global interceptor, so routes that do not need it do not pay for it.
 */
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(SetMetadata(IDEMPOTENCY_OPTIONS, options), UseInterceptors(IdempotencyInterceptor));
