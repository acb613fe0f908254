import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, lastValueFrom, Observable } from 'rxjs';
import type { CircuitBreakerOptions } from './circuit-breaker.config';
import { CircuitBreakerRegistry } from './circuit-breaker.registry';

export const CIRCUIT_BREAKER_ROUTE = 'resilience:circuitBreaker';

export interface CircuitBreakerRoute {
  name: string;
  options: Partial<CircuitBreakerOptions>;
}

/**
 * Runs a route handler through the named circuit (see @CircuitBreaker). A handler that times out
 * is answered with 504 but is not cancelled: for cancellation, call the dependency through
 * CircuitBreakerRegistry.for(...).execute(), which hands the action an AbortSignal.
 */
@Injectable()
export class CircuitBreakerInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly registry: CircuitBreakerRegistry,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.getAllAndOverride<CircuitBreakerRoute | undefined>(CIRCUIT_BREAKER_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!route) return next.handle();
    const breaker = this.registry.for(route.name, route.options);
    return defer(() => breaker.guard(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
