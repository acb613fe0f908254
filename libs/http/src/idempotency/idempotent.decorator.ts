import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { PUBLIC_ROUTE } from '../access/route-access';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENCY_OPTIONS, IdempotentOptions } from './idempotency.types';

/**
 * Opts a write route into Idempotency-Key handling. Applied per route rather than as a
 * global interceptor, so routes that do not need it do not pay for it.
 *
 * The route needs sign-in, even in a @Public() controller: stored responses are kept per signed-in
 * account (kind and id), and an anonymous caller has no identity to keep them under (by IP, two
 * clients behind one NAT would be served each other's answers). The method-level mark overrides a
 * class-level @Public() for the auth guard and the documented contract alike.
 */
export const Idempotent = (options: IdempotentOptions = {}): MethodDecorator =>
  applyDecorators(SetMetadata(PUBLIC_ROUTE, false), SetMetadata(IDEMPOTENCY_OPTIONS, options), UseInterceptors(IdempotencyInterceptor));
